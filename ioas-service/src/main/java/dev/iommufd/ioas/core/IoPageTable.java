package dev.iommufd.ioas.core;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The io page table of one IOAS (iommufd's {@code struct io_pagetable}): its areas, the reserved
 * ranges (tagged by owner: a HWPT's aperture, a device's MSI window), the allowed list and the
 * IOVA alignment. Pure logic: no I/O, not thread-safe (the caller serialises per IOAS). Every
 * refused operation leaves the table as it was.
 */
public final class IoPageTable {
    /** Automatic IOVAs are aligned to at most this (API.md). */
    static final long MAX_AUTO_ALIGNMENT = 2L << 20;

    private final NavigableMap<Long, Area> areas = new TreeMap<>(Long::compareUnsigned);
    private final Map<String, List<IovaRange>> reserved = new LinkedHashMap<>();
    private List<IovaRange> allowed = List.of();
    private long alignment = 1;

    /** The table as plain data, for storage. */
    public record Snapshot(List<Area> areas, Map<String, List<IovaRange>> reserved, List<IovaRange> allowed, long alignment) {
        public static Snapshot empty() {
            return new Snapshot(List.of(), Map.of(), List.of(), 1);
        }
    }

    public static IoPageTable of(Snapshot s) {
        IoPageTable t = new IoPageTable();
        s.areas().forEach(a -> t.areas.put(a.iova(), a));
        s.reserved().forEach((k, v) -> t.reserved.put(k, new ArrayList<>(v)));
        t.allowed = List.copyOf(s.allowed());
        t.alignment = s.alignment();
        return t;
    }

    public Snapshot snapshot() {
        Map<String, List<IovaRange>> r = new LinkedHashMap<>();
        reserved.forEach((k, v) -> r.put(k, List.copyOf(v)));
        return new Snapshot(areas(), r, allowed, alignment);
    }

    // ---- queries

    public List<Area> areas() {
        return List.copyOf(areas.values());
    }

    public long alignment() {
        return alignment;
    }

    public List<IovaRange> allowed() {
        return allowed;
    }

    /** Usable IOVA (IOMMU_IOAS_IOVA_RANGES): the allowed ranges (all of it if none) minus reserved ones. */
    public List<IovaRange> usableRanges() {
        List<IovaRange> out = new ArrayList<>();
        List<IovaRange> blockers = merged(allReserved());
        for (IovaRange span : allowed.isEmpty() ? List.of(IovaRange.ALL) : allowed) {
            holes(span, blockers, out);
        }
        return out;
    }

    // ---- map / unmap / copy

    /**
     * IOMMU_IOAS_MAP. {@code fixedIova} null asks for an automatic IOVA; {@code addrHint} is the
     * user VA (or 0), whose alignment the automatic IOVA keeps where it can.
     */
    public Area map(Long fixedIova, long length, boolean readable, boolean writeable, long memoryId, long offset, long addrHint) {
        if (!readable && !writeable) {
            throw ErrnoException.of(Errno.EINVAL, "mapping must be READABLE and/or WRITEABLE");
        }
        if (length == 0) {
            throw ErrnoException.of(Errno.EINVAL, "length 0");
        }
        if ((length & (alignment - 1)) != 0) {
            throw ErrnoException.of(Errno.EINVAL, "length not aligned to IOAS alignment 0x%x", alignment);
        }
        long iova;
        if (fixedIova != null) {
            iova = fixedIova;
            checkFixed(iova, length);
        } else {
            iova = allocate(length, addrHint);
        }
        Area a = new Area(IovaRange.ofLength(iova, length), readable, writeable, memoryId, offset);
        areas.put(iova, a);
        return a;
    }

    /** Adds already validated areas as they are (restore from storage, copy). */
    public void restore(Area a) {
        if (!overlappingAreas(a.range()).isEmpty()) {
            throw new IllegalStateException("overlapping area " + a);
        }
        areas.put(a.iova(), a);
    }

    private void checkFixed(long iova, long length) {
        if ((iova & (alignment - 1)) != 0) {
            throw ErrnoException.of(Errno.EINVAL, "iova not aligned to IOAS alignment 0x%x", alignment);
        }
        if (IovaRange.wraps(iova, length)) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        IovaRange r = IovaRange.ofLength(iova, length);
        if (allReserved().stream().anyMatch(r::intersects)) {
            throw ErrnoException.of(Errno.EINVAL, "range %s touches a reserved range", r);
        }
        if (!overlappingAreas(r).isEmpty()) {
            throw ErrnoException.of(Errno.EEXIST, "range %s overlaps a mapping", r);
        }
    }

    /** An automatic IOVA: never 0, inside the allowed list if set, outside reserved ranges and areas. */
    long allocate(long length, long addrHint) {
        long align = roundUpPow2(length);
        if (addrHint != 0) {
            align = Math.min(align, Long.lowestOneBit(addrHint));
        }
        align = Math.min(align, MAX_AUTO_ALIGNMENT);
        align = Math.max(align, alignment);
        List<IovaRange> blockers = new ArrayList<>(allReserved());
        areas.values().forEach(a -> blockers.add(a.range()));
        List<IovaRange> free = new ArrayList<>();
        List<IovaRange> merged = merged(blockers);
        for (IovaRange span : allowed.isEmpty() ? List.of(IovaRange.ALL) : allowed) {
            holes(span, merged, free);
        }
        for (IovaRange hole : free) {
            long start = alignUp(hole.start(), align);
            if (start == 0) {
                start = align; // IOVA 0 is never handed out
            }
            if (start == 0 || Long.compareUnsigned(start, hole.start()) < 0) {
                continue; // aligning wrapped past 2^64
            }
            if (Long.compareUnsigned(start, hole.last()) > 0 || IovaRange.wraps(start, length)) {
                continue;
            }
            if (Long.compareUnsigned(start + length - 1, hole.last()) <= 0) {
                return start;
            }
        }
        throw ErrnoException.of(Errno.ENOSPC, "no free IOVA range of 0x%x bytes", length);
    }

    /**
     * IOMMU_IOAS_UNMAP of whole areas: returns the removed areas. A range that cuts an area, or
     * holds none, is ENOENT and removes nothing. {@code iova 0, length U64_MAX} unmaps everything.
     */
    public List<Area> unmap(long iova, long length) {
        if (iova == 0 && length == -1L) {
            List<Area> all = areas();
            areas.clear();
            return all;
        }
        if (length == 0) {
            throw ErrnoException.of(Errno.EINVAL, "length 0");
        }
        if (IovaRange.wraps(iova, length)) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        IovaRange r = IovaRange.ofLength(iova, length);
        List<Area> hit = overlappingAreas(r);
        if (hit.isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "nothing mapped in %s", r);
        }
        for (Area a : hit) {
            if (!r.contains(a.range())) {
                throw ErrnoException.of(Errno.ENOENT, "range %s cuts mapping %s", r, a.range());
            }
        }
        hit.forEach(a -> areas.remove(a.iova()));
        return hit;
    }

    /** The slices of areas covering [iova, iova+length−1] exactly, in order; a hole is ENOENT (IOMMU_IOAS_COPY source). */
    public List<Area> covering(long iova, long length) {
        if (length == 0) {
            throw ErrnoException.of(Errno.EINVAL, "length 0");
        }
        if (IovaRange.wraps(iova, length)) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        IovaRange r = IovaRange.ofLength(iova, length);
        List<Area> out = new ArrayList<>();
        long next = iova;
        for (Area a : overlappingAreas(r)) {
            if (a.range().start() != next && Long.compareUnsigned(a.range().start(), next) > 0) {
                throw ErrnoException.of(Errno.ENOENT, "hole at 0x%x", next);
            }
            long s = Long.compareUnsigned(a.range().start(), r.start()) < 0 ? r.start() : a.range().start();
            long l = Long.compareUnsigned(a.range().last(), r.last()) > 0 ? r.last() : a.range().last();
            out.add(a.slice(new IovaRange(s, l)));
            if (l == r.last()) {
                return out;
            }
            next = l + 1;
        }
        throw ErrnoException.of(Errno.ENOENT, "hole at 0x%x", next);
    }

    // ---- reserved ranges, allowed list, alignment

    /** Adds an owner's reserved ranges atomically; EADDRINUSE if one takes away a mapped or allowed IOVA. */
    public void reserve(String owner, Collection<IovaRange> ranges) {
        for (IovaRange r : ranges) {
            if (!overlappingAreas(r).isEmpty()) {
                throw ErrnoException.of(Errno.EADDRINUSE, "reserved range %s overlaps a mapping", r);
            }
            if (allowed.stream().anyMatch(r::intersects)) {
                throw ErrnoException.of(Errno.EADDRINUSE, "reserved range %s overlaps an allowed range", r);
            }
        }
        reserved.computeIfAbsent(owner, k -> new ArrayList<>()).addAll(ranges);
    }

    public void release(String owner) {
        reserved.remove(owner);
    }

    public boolean hasReservations(String owner) {
        return reserved.containsKey(owner);
    }

    /** IOMMU_IOAS_ALLOW_IOVAS: replaces the list; empty clears it. */
    public void setAllowed(List<IovaRange> ranges) {
        List<IovaRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparing(IovaRange::start, Long::compareUnsigned));
        for (int i = 0; i < sorted.size(); i++) {
            IovaRange r = sorted.get(i);
            if (r.start() == r.last()) {
                throw ErrnoException.of(Errno.EINVAL, "allowed range %s: start >= last", r);
            }
            if (i > 0 && sorted.get(i - 1).intersects(r)) {
                throw ErrnoException.of(Errno.EINVAL, "allowed ranges %s and %s overlap", sorted.get(i - 1), r);
            }
            if (allReserved().stream().anyMatch(r::intersects)) {
                throw ErrnoException.of(Errno.EADDRINUSE, "allowed range %s intersects a reserved range", r);
            }
        }
        allowed = List.copyOf(sorted);
    }

    /** Raises (or lowers) the IOVA alignment; EADDRINUSE if an existing area would be misaligned. */
    public void setAlignment(long newAlignment) {
        if (Long.bitCount(newAlignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two");
        }
        for (Area a : areas.values()) {
            if ((a.iova() & (newAlignment - 1)) != 0 || (a.length() & (newAlignment - 1)) != 0) {
                throw ErrnoException.of(Errno.EADDRINUSE, "mapping %s not aligned to 0x%x", a.range(), newAlignment);
            }
        }
        alignment = newAlignment;
    }

    // ---- helpers

    private List<IovaRange> allReserved() {
        List<IovaRange> all = new ArrayList<>();
        reserved.values().forEach(all::addAll);
        return all;
    }

    private List<Area> overlappingAreas(IovaRange r) {
        List<Area> out = new ArrayList<>();
        Map.Entry<Long, Area> before = areas.floorEntry(r.start());
        if (before != null && before.getValue().range().intersects(r)) {
            out.add(before.getValue());
        }
        for (Area a : areas.tailMap(r.start(), false).values()) {
            if (Long.compareUnsigned(a.range().start(), r.last()) > 0) {
                break;
            }
            out.add(a);
        }
        return out;
    }

    /** Sorted, merged copy of possibly overlapping ranges. */
    static List<IovaRange> merged(List<IovaRange> ranges) {
        List<IovaRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparing(IovaRange::start, Long::compareUnsigned));
        List<IovaRange> out = new ArrayList<>();
        for (IovaRange r : sorted) {
            if (!out.isEmpty()) {
                IovaRange prev = out.get(out.size() - 1);
                boolean touches = prev.last() == -1L || Long.compareUnsigned(r.start(), prev.last() + 1) <= 0;
                if (touches) {
                    if (Long.compareUnsigned(r.last(), prev.last()) > 0) {
                        out.set(out.size() - 1, new IovaRange(prev.start(), r.last()));
                    }
                    continue;
                }
            }
            out.add(r);
        }
        return out;
    }

    /** Appends the parts of {@code span} not covered by the sorted, merged {@code blockers}. */
    private static void holes(IovaRange span, List<IovaRange> blockers, List<IovaRange> out) {
        long cursor = span.start();
        boolean done = false;
        for (IovaRange b : blockers) {
            if (!b.intersects(span)) {
                continue;
            }
            if (Long.compareUnsigned(b.start(), cursor) > 0) {
                out.add(new IovaRange(cursor, b.start() - 1));
            }
            if (Long.compareUnsigned(b.last(), span.last()) >= 0) {
                done = true;
                break;
            }
            cursor = Long.compareUnsigned(b.last() + 1, cursor) > 0 ? b.last() + 1 : cursor;
        }
        if (!done) {
            out.add(new IovaRange(cursor, span.last()));
        }
    }

    static long roundUpPow2(long v) {
        if (Long.compareUnsigned(v, 1L << 62) > 0) {
            return 1L << 63;
        }
        long h = Long.highestOneBit(v);
        return h == v ? v : h << 1;
    }

    static long alignUp(long v, long align) {
        return (v + align - 1) & -align;
    }
}
