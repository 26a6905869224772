package dev.iommufd.sim.pagetable;

/**
 * One leaf translation of a domain's page table: a 4 KiB page or a 2 MiB / 1 GiB block.
 * {@code generation} identifies this very leaf, so a cached copy of a removed leaf is recognisable.
 */
public record Leaf(long iova, long size, long pa, boolean read, boolean write, long generation) {
    public boolean covers(long addr) {
        return Long.compareUnsigned(addr - iova, size) < 0;
    }

    public long translate(long addr) {
        return pa + (addr - iova);
    }
}
