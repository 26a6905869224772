package dev.iommufd.ioas.core;

/**
 * One mapping of an IOAS (iommufd's iopt_area): IOVA range → a region of VMM memory.
 *
 * @param memoryId the MEMORY object backing it
 * @param offset   byte offset of the range's first byte inside that memory
 */
public record Area(IovaRange range, boolean readable, boolean writeable, long memoryId, long offset) {
    public long iova() {
        return range.start();
    }

    public long length() {
        return range.length();
    }

    /** The part of this area covering {@code sub} (which it must contain). */
    public Area slice(IovaRange sub) {
        return new Area(sub, readable, writeable, memoryId, offset + (sub.start() - range.start()));
    }
}
