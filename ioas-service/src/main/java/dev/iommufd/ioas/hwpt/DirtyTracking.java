package dev.iommufd.ioas.hwpt;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.ReadDirty;
import dev.iommufd.contract.events.SetDirtyTracking;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

/** Dirty tracking of paging HWPTs (IOMMU_HWPT_SET_DIRTY_TRACKING / GET_DIRTY_BITMAP): the rules and the bitmap. */
public final class DirtyTracking {
    /** Largest bitmap one call returns (2^20 pages), so a typo cannot ask for gigabytes. */
    static final long MAX_PAGES = 1L << 20;

    private DirtyTracking() {}

    public record Query(long iova, long length, long pageSize, boolean noClear) {}

    public record Read(String key, ReadDirty command) {}

    public record Bitmap(String base64, long dirtyPages) {}

    public static void set(ContextState st, HwptPagingObject h, boolean enable) {
        if (!h.has(Flag.DIRTY_TRACKING)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "HWPT %d was not allocated with DIRTY_TRACKING", h.id);
        }
        h.dirtyTracking = enable;
        st.emit(h.iommu, new SetDirtyTracking(st.domainName(h.id), enable));
    }

    /** Argument rules: page size a power of two of at least 4 KiB; iova and length multiples of it. */
    public static Query query(long iova, long length, long pageSize, boolean noClear) {
        if (pageSize < HwptOps.PAGE || Long.bitCount(pageSize) != 1) {
            throw ErrnoException.of(Errno.EINVAL, "pageSize must be a power of two of at least 4 KiB");
        }
        if (length == 0 || (iova & (pageSize - 1)) != 0 || (length & (pageSize - 1)) != 0) {
            throw ErrnoException.of(Errno.EINVAL, "iova and length must be non-zero multiples of pageSize");
        }
        if (IovaRange.wraps(iova, length)) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        if (Long.compareUnsigned(length / pageSize, MAX_PAGES) > 0) {
            throw ErrnoException.of(Errno.EINVAL, "at most %d pages per bitmap", MAX_PAGES);
        }
        return new Query(iova, length, pageSize, noClear);
    }

    public static Read check(ContextState st, HwptPagingObject h, Query q) {
        if (!h.has(Flag.DIRTY_TRACKING)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "HWPT %d was not allocated with DIRTY_TRACKING", h.id);
        }
        if (!h.dirtyTracking) {
            throw ErrnoException.of(Errno.EINVAL, "dirty tracking of HWPT %d is not enabled", h.id);
        }
        return new Read(h.iommu, new ReadDirty(st.domainName(h.id), q.iova(), q.length(), q.noClear()));
    }

    /** Bit i is set when any 4 KiB page of the i-th pageSize page was written. */
    public static Bitmap bitmap(Query q, List<Long> dirtyPages) {
        long pages = q.length() / q.pageSize();
        long[] words = new long[(int) ((pages + 63) / 64)];
        long set = 0;
        for (long addr : dirtyPages) {
            long bit = (addr - q.iova()) / q.pageSize();
            if (bit < 0 || bit >= pages) {
                continue;
            }
            long mask = 1L << (bit % 64);
            if ((words[(int) (bit / 64)] & mask) == 0) {
                words[(int) (bit / 64)] |= mask;
                set++;
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            buf.putLong(w);
        }
        return new Bitmap(Base64.getEncoder().encodeToString(buf.array()), set);
    }
}
