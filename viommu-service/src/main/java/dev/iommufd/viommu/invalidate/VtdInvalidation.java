package dev.iommufd.viommu.invalidate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entries {addr, npages, flags:["LEAF"]?}, checked as the
 * kernel's {@code intel_nested_cache_invalidate_user}: an unknown flag is EOPNOTSUPP; an address
 * not 4 KiB aligned, or {@code npages} U64_MAX with a non-zero address, is EINVAL. {@code addr 0,
 * npages U64_MAX} (or any range running past 2^64) flushes the whole domain; {@code npages 0}
 * flushes nothing. LEAF is a hint the simulated IOTLB does not need (it drops non-leaf state too).
 */
public final class VtdInvalidation {
    private VtdInvalidation() {}

    public enum Flag { LEAF }

    /** [addr, addr+length) to flush; {@code all}: the whole domain; length 0 and not all: nothing. */
    public record Range(long addr, long length, boolean all) {}

    static final long PAGE = 4096;

    public static Plan<Range> decode(JsonNode entries) {
        List<Range> out = new ArrayList<>();
        for (JsonNode e : entries) {
            try {
                out.add(entry(e));
            } catch (ErrnoException err) {
                return new Plan<>(out, err);
            }
        }
        return new Plan<>(out, null);
    }

    static Range entry(JsonNode e) {
        Entries.onlyFields(e, Set.of("addr", "npages", "flags"));
        long addr = Entries.u64(e, "addr");
        long npages = Entries.u64(e, "npages");
        Flags.parse(Entries.strings(e, "flags"), Flag.class);
        if ((addr & (PAGE - 1)) != 0 || npages == -1L && addr != 0) {
            throw ErrnoException.of(Errno.EINVAL, "addr 0x%x not 4 KiB aligned, or npages U64_MAX with a non-zero addr",
                    addr);
        }
        if (npages == -1L) {
            return new Range(0, 0, true);
        }
        if (npages == 0) {
            return new Range(addr, 0, false);
        }
        if (Long.compareUnsigned(npages, 1L << 52) >= 0) {
            return new Range(0, 0, true);
        }
        long length = npages << 12;
        if (Long.compareUnsigned(addr + length - 1, addr) < 0) {
            return new Range(0, 0, true);   // runs past 2^64: everything from addr on is everything we can name
        }
        return new Range(addr, length, false);
    }
}
