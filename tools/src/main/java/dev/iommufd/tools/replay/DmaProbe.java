package dev.iommufd.tools.replay;

import java.util.Objects;

/** A DMA issued at this point of the stream (only in files: line {@code line} of the NDJSON). */
public record DmaProbe(long timestamp, String rid, Integer pasid, long iova, int length, boolean write, int line)
        implements StreamItem {
    public DmaProbe {
        Objects.requireNonNull(rid, "rid");
        if (length < 1) {
            throw new IllegalArgumentException("DMA length must be >= 1");
        }
    }

    @Override
    public String where() {
        return "dma line " + line;
    }
}
