package dev.iommufd.sim.pagetable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The page table of one paging domain (second stage / stage 2), held as its leaves. A mapped range
 * becomes the largest leaves its alignment allows (1 GiB, 2 MiB, 4 KiB; huge ones only when
 * allowed), as the kernel's io-pgtable does for IOVA and PA aligned alike.
 */
public final class DomainTable {
    public static final long SZ_4K = 4096;
    public static final long SZ_2M = 2L << 20;
    public static final long SZ_1G = 1L << 30;
    private static final AtomicLong GENERATIONS = new AtomicLong();

    private final String id;
    private final String iommu;
    private final int addressWidth;
    private final boolean hugePages;
    private final NavigableMap<Long, Leaf> leaves = new TreeMap<>(Long::compareUnsigned);
    /** 4 KiB pages written by DMA since tracking started or was last cleared (the PTEs' dirty bits). */
    private final java.util.TreeSet<Long> dirty = new java.util.TreeSet<>(Long::compareUnsigned);
    private boolean dirtyTracking;
    /** Counts unmaps: a cached leaf copied before the last unmap may be stale, one copied after cannot. */
    private long unmaps;

    public DomainTable(String id, String iommu, int addressWidth, boolean hugePages) {
        this.id = id;
        this.iommu = iommu;
        this.addressWidth = addressWidth;
        this.hugePages = hugePages;
    }

    public String id() {
        return id;
    }

    public String iommu() {
        return iommu;
    }

    /** Input address bits of this domain (its aperture is [0, 2^addressWidth)). */
    public int addressWidth() {
        return addressWidth;
    }

    public void map(long iova, long length, long pa, boolean read, boolean write) {
        if ((iova | length | pa) % SZ_4K != 0) {
            throw new IllegalArgumentException("map not 4 KiB aligned");
        }
        if (addressWidth < 64 && Long.compareUnsigned(iova + length - 1, (1L << addressWidth) - 1) > 0) {
            throw new IllegalArgumentException("map beyond the aperture");
        }
        long done = 0;
        while (done < length) {
            long va = iova + done;
            long p = pa + done;
            long left = length - done;
            long size = SZ_4K;
            for (long s : hugePages ? new long[] {SZ_1G, SZ_2M} : new long[0]) {
                if (va % s == 0 && p % s == 0 && Long.compareUnsigned(left, s) >= 0) {
                    size = s;
                    break;
                }
            }
            leaves.put(va, new Leaf(va, size, p, read, write, GENERATIONS.incrementAndGet()));
            done += size;
        }
    }

    /** Removes every leaf starting inside [iova, iova+length); returns how many. */
    public int unmap(long iova, long length) {
        long last = iova + length - 1;
        List<Long> gone = new ArrayList<>(leaves.subMap(iova, true, last, true).keySet());
        gone.forEach(leaves::remove);
        unmaps++;
        return gone.size();
    }

    /** The leaf translating {@code addr}, or null (a walk that finds no present entry). */
    public Leaf walk(long addr) {
        Map.Entry<Long, Leaf> e = leaves.floorEntry(addr);
        return e != null && e.getValue().covers(addr) ? e.getValue() : null;
    }

    /** Enabling clears what was recorded before, as the kernel does when tracking starts. */
    public void setDirtyTracking(boolean enable) {
        if (enable && !dirtyTracking) {
            dirty.clear();
        }
        dirtyTracking = enable;
    }

    /** A DMA write reached {@code addr}: every write sets the dirty bit again, whatever was cached. */
    public void written(long addr) {
        if (dirtyTracking) {
            dirty.add(addr & -SZ_4K);
        }
    }

    /** The dirty 4 KiB pages inside [iova, iova+length); cleared unless {@code keep}. */
    public java.util.List<Long> readDirty(long iova, long length, boolean keep) {
        java.util.NavigableSet<Long> in = dirty.subSet(iova & -SZ_4K, true, iova + length - 1, true);
        java.util.List<Long> out = new ArrayList<>(in);
        if (!keep) {
            in.clear();
        }
        return out;
    }

    public long unmaps() {
        return unmaps;
    }

    public int size() {
        return leaves.size();
    }

    public Iterable<Leaf> leaves() {
        return leaves.values();
    }
}
