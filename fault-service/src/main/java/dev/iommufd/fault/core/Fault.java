package dev.iommufd.fault.core;

import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.events.PageRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * One fault of a delivered group as the API shows it ({@code struct iommu_hwpt_pgfault}):
 * {@code flags} PASID_VALID / LAST_PAGE, {@code devId} the DEVICE object of the requester in the
 * context, {@code pasid} 0 without PASID_VALID, {@code perm} READ / WRITE / EXEC / PRIV,
 * {@code addr} the 4 KiB page, {@code length} always one page.
 */
public record Fault(List<String> flags, int devId, int pasid, int grpid, List<String> perm, U64 addr, U64 length) {
    public static final long PAGE = 4096;

    /** The fault a page request of device {@code devId} becomes. */
    public static Fault of(PageRequest r, int devId) {
        List<String> flags = new ArrayList<>(2);
        if (r.pasid() != null) {
            flags.add("PASID_VALID");
        }
        if (r.last()) {
            flags.add("LAST_PAGE");
        }
        List<String> perm = new ArrayList<>(4);
        if (r.read()) {
            perm.add("READ");
        }
        if (r.write()) {
            perm.add("WRITE");
        }
        if (r.exec()) {
            perm.add("EXEC");
        }
        if (r.priv()) {
            perm.add("PRIV");
        }
        return new Fault(List.copyOf(flags), devId, r.pasid() == null ? 0 : r.pasid(), r.grpid(), List.copyOf(perm),
                U64.of(r.addr() & ~(PAGE - 1)), U64.of(PAGE));
    }

    /**
     * A PCIe Stop Marker (last, neither read nor write) ends a PASID's requests and never gets a
     * response; the IOMMU driver discards it (io-pgfault.c), so it never becomes a fault.
     */
    public static boolean isStopMarker(PageRequest r) {
        return r.last() && !r.read() && !r.write();
    }
}
