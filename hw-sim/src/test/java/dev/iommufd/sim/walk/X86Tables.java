package dev.iommufd.sim.walk;

import static dev.iommufd.sim.walk.VtdFirstLevelWalker.ADDR_MASK;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.P;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.PS;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.RW;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.US;

/** Builds an x86-64 first-stage page table (4 or 5 levels) in a {@link GuestRam}. */
final class X86Tables {
    static final long TABLE = P | RW | US;

    final GuestRam ram;
    final int levels;
    final long root;

    X86Tables(GuestRam ram, int levels) {
        this.ram = ram;
        this.levels = levels;
        this.root = ram.page();
    }

    /** Maps one leaf: size 4K (PTE), 2M (PDE+PS) or 1G (PDPE+PS); {@code flags} like P|RW|US. */
    X86Tables map(long iova, long gpa, long size, long flags) {
        int leafLevel = size == 4096 ? 1 : size == 2L << 20 ? 2 : 3;
        long table = root;
        for (int level = levels; level > leafLevel; level--) {
            long slot = slot(table, iova, level);
            long e = ram.get(slot);
            if ((e & P) == 0) {
                e = ram.page() | TABLE;
                ram.put(slot, e);
            }
            table = e & ADDR_MASK;
        }
        ram.put(slot(table, iova, leafLevel), gpa | flags | (leafLevel > 1 ? PS : 0));
        return this;
    }

    /** GPA of the entry used at {@code level} to translate {@code iova} (the tables must exist). */
    long entry(long iova, int level) {
        long table = root;
        for (int l = levels; l > level; l--) {
            table = ram.get(slot(table, iova, l)) & ADDR_MASK;
        }
        return slot(table, iova, level);
    }

    void set(long iova, int level, long value) {
        ram.put(entry(iova, level), value);
    }

    long get(long iova, int level) {
        return ram.get(entry(iova, level));
    }

    VtdFirstLevelWalker.Config config() {
        return new VtdFirstLevelWalker.Config(root, levels == 5 ? 57 : 48, false, false, true);
    }

    private static long slot(long table, long iova, int level) {
        return table + ((iova >>> (12 + 9 * (level - 1))) & 0x1ff) * 8;
    }
}
