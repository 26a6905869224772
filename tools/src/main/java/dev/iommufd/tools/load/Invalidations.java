package dev.iommufd.tools.load;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The request bodies of user invalidation (viommu-service, API.md) and guest page-table entries, shared by
 * {@code iommuctl load} and {@code iommuctl demo} so both speak the same wire format.
 */
public final class Invalidations {
    /** SMMUv3 command opcodes (arm-smmu-v3.h): invalidate by ASID, and by VA within an ASID. */
    public static final long TLBI_NH_ASID = 0x11;
    public static final long TLBI_NH_VA = 0x12;
    /** VT-d first-stage PTE bits: present, read/write, user. */
    public static final long P = 1, RW = 2, US = 4;
    /** Pages the array scenarios walk through, so consecutive arrays name different addresses. */
    static final int WINDOW_PAGES = 4096;

    private Invalidations() {}

    /** A {@code VTD_S1} array of {@code entries} page-selective entries; {@code op} shifts the addresses between calls. */
    public static String vtdArray(int entries, long op) {
        StringBuilder b = new StringBuilder("{\"dataType\":\"VTD_S1\",\"entries\":[");
        for (int e = 0; e < entries; e++) {
            b.append(e == 0 ? "" : ",").append("{\"addr\":\"").append(hex(page(entries, op, e))).append("\",\"npages\":1}");
        }
        return b.append("]}").toString();
    }

    /**
     * An {@code ARM_SMMUV3} array of {@code entries} commands: TLBI_NH_VA of one page (ASID in bits 63:48 of the first
     * word, the address in the second), every 16th a TLBI_NH_ASID of the whole ASID, as a guest driver mixes them.
     */
    public static String smmuArray(int entries, long op, int asid) {
        StringBuilder b = new StringBuilder("{\"dataType\":\"ARM_SMMUV3\",\"entries\":[");
        for (int e = 0; e < entries; e++) {
            long word0 = (e % 16 == 15 ? TLBI_NH_ASID : TLBI_NH_VA) | ((long) (asid & 0xffff) << 48);
            long word1 = e % 16 == 15 ? 0 : page(entries, op, e);
            b.append(e == 0 ? "" : ",").append("{\"cmd\":[\"").append(hex(word0)).append("\",\"").append(hex(word1)).append("\"]}");
        }
        return b.append("]}").toString();
    }

    /** The body of {@code PUT /v1/hw/memory/{pa}} writing one little-endian 64-bit page-table entry. */
    public static String pteBody(long value) {
        return "{\"data\":\"" + Base64.getEncoder().encodeToString(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array()) + "\"}";
    }

    public static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static long page(int entries, long op, int e) {
        return 0x40000000L + ((op * entries + e) % WINDOW_PAGES) * 0x1000;
    }
}
