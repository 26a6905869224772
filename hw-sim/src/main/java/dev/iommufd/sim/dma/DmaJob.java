package dev.iommufd.sim.dma;

import dev.iommufd.contract.events.HwEvent;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One DMA in progress: what it asked for, how far it got ({@link #done()} bytes) and the hardware
 * events its faults recorded. A DMA that waits for a page response resumes at the faulting page.
 */
public final class DmaJob {
    private final String rid;
    private final Integer pasid;
    private final long iova;
    private final int length;
    private final boolean write;
    private final byte[] data;
    private final boolean priv;
    private final byte[] out;
    private final List<HwEvent> events = new ArrayList<>();
    private int done;

    public DmaJob(String rid, Integer pasid, long iova, int length, boolean write, byte[] data, boolean priv) {
        if (write && (data == null || data.length != length)) {
            throw new IllegalArgumentException("a write needs exactly length bytes of data");
        }
        this.rid = rid;
        this.pasid = pasid;
        this.iova = iova;
        this.length = length;
        this.write = write;
        this.data = data;
        this.priv = priv;
        this.out = write ? null : new byte[length];
    }

    public String rid() {
        return rid;
    }

    public Integer pasid() {
        return pasid;
    }

    public boolean write() {
        return write;
    }

    public boolean priv() {
        return priv;
    }

    public boolean finished() {
        return done >= length;
    }

    public int done() {
        return done;
    }

    /** The address of the next byte to move. */
    public long address() {
        return iova + done;
    }

    /** Bytes up to the end of the current 4 KiB page (or of the DMA). */
    public int chunk() {
        long addr = address();
        return (int) Math.min(length - done, 4096 - (addr & 4095));
    }

    /** The bytes a write moves next. */
    public byte[] nextData(int chunk) {
        byte[] part = new byte[chunk];
        System.arraycopy(data, done, part, 0, chunk);
        return part;
    }

    /** A read's bytes for the current chunk arrived; or a write's went out. */
    public void advance(byte[] readBytes, int chunk) {
        if (readBytes != null) {
            System.arraycopy(readBytes, 0, out, done, chunk);
        }
        done += chunk;
    }

    /** Base64 of what a finished read returned, null for a write. */
    public String readData() {
        return write ? null : Base64.getEncoder().encodeToString(out);
    }

    public List<HwEvent> events() {
        return events;
    }
}
