package dev.iommufd.sim.memory;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Simulated host physical memory: sparse, 4 KiB page-granular, zero where never written. Page
 * tables of guests (stage-1) and DMA data live here.
 */
public final class HostMemory {
    public static final int PAGE = 4096;
    private final ConcurrentHashMap<Long, byte[]> pages = new ConcurrentHashMap<>();

    public void write(long pa, byte[] data) {
        checkRange(pa, data.length);
        int done = 0;
        while (done < data.length) {
            long addr = pa + done;
            int off = (int) (addr & (PAGE - 1));
            int n = Math.min(PAGE - off, data.length - done);
            byte[] page = pages.computeIfAbsent(addr >>> 12, k -> new byte[PAGE]);
            synchronized (page) {
                System.arraycopy(data, done, page, off, n);
            }
            done += n;
        }
    }

    public byte[] read(long pa, int length) {
        checkRange(pa, length);
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long addr = pa + done;
            int off = (int) (addr & (PAGE - 1));
            int n = Math.min(PAGE - off, length - done);
            byte[] page = pages.get(addr >>> 12);
            if (page != null) {
                synchronized (page) {
                    System.arraycopy(page, off, out, done, n);
                }
            }
            done += n;
        }
        return out;
    }

    /** Little-endian 64-bit word, as page-table entries are stored. */
    public long readLong(long pa) {
        byte[] b = read(pa, 8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    public void writeLong(long pa, long value) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        write(pa, b);
    }

    public int pagesTouched() {
        return pages.size();
    }

    private static void checkRange(long pa, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        if (length > 0 && Long.compareUnsigned(pa + length - 1, pa) < 0) {
            throw new IllegalArgumentException("range wraps past 2^64");
        }
    }
}
