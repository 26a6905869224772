package dev.iommufd.sim.walk;

/** Builds a VMSAv8-64 4 KiB-granule stage-1 table, its CD and the guest STE in a {@link GuestRam}. */
final class ArmTables {
    static final long VALID_TABLE = 3;
    static final long AF = 1L << 10;
    static final long AP_EL0 = 1L << 6; // AP[1]: unprivileged access allowed
    static final long AP_RO = 1L << 7; // AP[2]: read-only
    static final long RW_USER = AF | AP_EL0;
    static final long ADDR = 0x000f_ffff_ffff_f000L;

    final GuestRam ram;
    final int tsz;
    final int startLevel;
    final long root;

    ArmTables(GuestRam ram, int tsz) {
        this.ram = ram;
        this.tsz = tsz;
        this.startLevel = 4 - (64 - tsz - 4) / 9;
        this.root = ram.page();
    }

    /** Maps one leaf: 4K page (level 3), 2M block (level 2) or 1G block (level 1); attrs like AF|AP. */
    ArmTables map(long iova, long ipa, long size, long attrs) {
        int leafLevel = size == 4096 ? 3 : size == 2L << 20 ? 2 : 1;
        long table = root;
        for (int level = startLevel; level < leafLevel; level++) {
            long slot = slot(table, iova, level);
            long e = ram.get(slot);
            if ((e & 1) == 0) {
                e = ram.page() | VALID_TABLE;
                ram.put(slot, e);
            }
            table = e & ADDR;
        }
        ram.put(slot(table, iova, leafLevel), ipa | attrs | (leafLevel == 3 ? 3 : 1));
        return this;
    }

    long entry(long iova, int level) {
        long table = root;
        for (int l = startLevel; l < level; l++) {
            table = ram.get(slot(table, iova, l)) & ADDR;
        }
        return slot(table, iova, level);
    }

    void set(long iova, int level, long value) {
        ram.put(entry(iova, level), value);
    }

    long get(long iova, int level) {
        return ram.get(entry(iova, level));
    }

    /** CD word 0 as Linux builds it: T0SZ, TG0=4K, EPD1, V, IPS, AA64, R, A, ASID. */
    long cd0(int asid, int ips) {
        return tsz | (1L << 30) | (1L << 31) | ((long) ips << 32) | (1L << 41) | (1L << 45) | (1L << 46)
                | ((long) asid << 48);
    }

    /** Writes a CD (words 0..2) at a new guest page and returns its GPA. */
    long writeCd(long w0) {
        long gpa = ram.page();
        writeCdAt(gpa, w0);
        return gpa;
    }

    void writeCdAt(long gpa, long w0) {
        ram.put(gpa, w0);
        ram.put(gpa + 8, root);
        ram.put(gpa + 16, 0);
    }

    /** Guest STE words for stage-1 translation with a single CD at {@code cdGpa}. */
    static long[] ste(long cdGpa) {
        return new long[] {1 | (SmmuV3Stage1Walker.CFG_S1 << 1) | cdGpa, 0};
    }

    private long slot(long table, long iova, int level) {
        int shift = 12 + 9 * (3 - level);
        int bits = level == startLevel ? (64 - tsz) - shift : 9;
        return table + ((iova >>> shift) & ((1L << bits) - 1)) * 8;
    }
}
