package dev.iommufd.ioas.core;

/** An inclusive IOVA range [start, last], both unsigned 64-bit. */
public record IovaRange(long start, long last) {
    public static final IovaRange ALL = new IovaRange(0, -1L);

    public IovaRange {
        if (Long.compareUnsigned(start, last) > 0) {
            throw new IllegalArgumentException("start above last");
        }
    }

    /** [start, start + length − 1]; the caller has checked length > 0 and no wrap. */
    public static IovaRange ofLength(long start, long length) {
        return new IovaRange(start, start + length - 1);
    }

    /** Whether start + length − 1 wraps past 2^64 (length > 0). */
    public static boolean wraps(long start, long length) {
        return Long.compareUnsigned(start + length - 1, start) < 0;
    }

    public boolean intersects(IovaRange o) {
        return Long.compareUnsigned(start, o.last) <= 0 && Long.compareUnsigned(o.start, last) <= 0;
    }

    public boolean contains(IovaRange o) {
        return Long.compareUnsigned(start, o.start) <= 0 && Long.compareUnsigned(o.last, last) <= 0;
    }

    /** length, as unsigned; 0 stands for 2^64 (the whole space). */
    public long length() {
        return last - start + 1;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(last) + "]";
    }
}
