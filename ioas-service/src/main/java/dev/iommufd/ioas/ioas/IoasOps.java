package dev.iommufd.ioas.ioas;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.core.Area;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.memory.MemoryObject;
import dev.iommufd.ioas.memory.MemoryOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;

/** IOAS operations (IOMMU_IOAS_*). Each either completes or throws with the state unchanged by the caller's transaction. */
public final class IoasOps {
    public enum MapFlag { FIXED_IOVA, READABLE, WRITEABLE }

    private IoasOps() {}

    public static IoasObject create(ContextState state) {
        return state.add(new IoasObject());
    }

    public static IoasObject get(ContextState state, int id) {
        return state.get(id, IoasObject.class, "IOAS");
    }

    /** Where a mapping's bytes come from: a user VA, or a memory id plus offset. */
    public record Source(Long userVa, Integer memoryId, Long start) {}

    /** IOMMU_IOAS_MAP / MAP_FILE. Returns the new area. */
    public static Area map(ContextState state, int ioasId, Set<MapFlag> flags, Source src, long length, Long iova) {
        IoasObject ioas = get(state, ioasId);
        boolean r = flags.contains(MapFlag.READABLE);
        boolean w = flags.contains(MapFlag.WRITEABLE);
        if (!r && !w) {
            throw ErrnoException.of(Errno.EINVAL, "mapping must be READABLE and/or WRITEABLE");
        }
        if (length == 0) {
            throw ErrnoException.of(Errno.EINVAL, "length 0");
        }
        boolean fixed = flags.contains(MapFlag.FIXED_IOVA);
        if (fixed && iova == null) {
            throw ErrnoException.of(Errno.EINVAL, "FIXED_IOVA needs iova");
        }
        if (fixed && IovaRange.wraps(iova, length)) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        MemoryObject mem;
        long offset;
        long hint;
        if (src.userVa() != null) {
            if (src.memoryId() != null || src.start() != null) {
                throw ErrnoException.of(Errno.EINVAL, "give userVa or memoryId+start, not both");
            }
            if (IovaRange.wraps(src.userVa(), length)) {
                throw ErrnoException.of(Errno.EOVERFLOW, "userVa + length past 2^64");
            }
            mem = MemoryOps.byUserVa(state, src.userVa(), length);
            offset = src.userVa() - mem.userVa;
            hint = src.userVa();
        } else {
            if (src.memoryId() == null) {
                throw ErrnoException.of(Errno.EINVAL, "missing userVa or memoryId");
            }
            mem = state.get(src.memoryId(), MemoryObject.class, "memory");
            offset = src.start() == null ? 0 : src.start();
            if (IovaRange.wraps(offset, length) || Long.compareUnsigned(offset + length, mem.length) > 0) {
                throw ErrnoException.of(Errno.EINVAL, "start + length past the end of memory %d", mem.id);
            }
            hint = mem.userVa + offset;
        }
        long off = offset;
        Area a = ioas.withTable(t -> t.map(fixed ? iova : null, length, r, w, mem.id, off, hint));
        mem.users++;
        programMap(state, ioas, List.of(a));
        return a;
    }

    /** IOMMU_IOAS_UNMAP: returns the removed areas. */
    public static List<Area> unmap(ContextState state, int ioasId, long iova, long length) {
        IoasObject ioas = get(state, ioasId);
        List<Area> removed = ioas.withTable(t -> t.unmap(iova, length));
        removed.forEach(a -> state.get((int) a.memoryId(), MemoryObject.class, "memory").users--);
        programUnmap(state, ioas, removed);
        return removed;
    }

    /** IOMMU_IOAS_COPY: maps what [srcIova, +length) of src maps, at one contiguous IOVA of dst. */
    public static List<Area> copy(ContextState state, int dstId, int srcId, long srcIova, long length, Long iova, Set<MapFlag> flags) {
        IoasObject dst = get(state, dstId);
        IoasObject src = get(state, srcId);
        boolean r = flags.contains(MapFlag.READABLE);
        boolean w = flags.contains(MapFlag.WRITEABLE);
        if (!r && !w) {
            throw ErrnoException.of(Errno.EINVAL, "copy must be READABLE and/or WRITEABLE");
        }
        boolean fixed = flags.contains(MapFlag.FIXED_IOVA);
        if (fixed && iova == null) {
            throw ErrnoException.of(Errno.EINVAL, "FIXED_IOVA needs iova");
        }
        List<Area> slices = src.withTable(t -> t.covering(srcIova, length));
        for (Area s : slices) {
            if (w && !s.writeable()) {
                throw ErrnoException.of(Errno.EPERM, "WRITEABLE copy of read-only mapping at 0x%x", s.iova());
            }
        }
        List<Area> made = new ArrayList<>();
        dst.withTable(t -> {
            Area whole = t.map(fixed ? iova : null, length, r, w, slices.get(0).memoryId(), slices.get(0).offset(), srcIova);
            if (slices.size() == 1) {
                made.add(whole);
                return null;
            }
            // one area per source slice, contiguous from the IOVA just found (as the kernel's page lists)
            t.unmap(whole.iova(), length);
            long at = whole.iova();
            for (Area s : slices) {
                Area piece = new Area(IovaRange.ofLength(at, s.length()), r, w, s.memoryId(), s.offset());
                t.restore(piece);
                made.add(piece);
                at += s.length();
            }
            return null;
        });
        made.forEach(a -> state.get((int) a.memoryId(), MemoryObject.class, "memory").users++);
        programMap(state, dst, made);
        return made;
    }

    /** Every domain of the IOAS gets the new areas before the call returns (they are queued before any later command). */
    private static void programMap(ContextState state, IoasObject ioas, List<Area> areas) {
        for (int hid : ioas.hwpts) {
            HwptPagingObject h = HwptOps.get(state, hid);
            areas.forEach(a -> state.emit(h.iommu, HwptOps.mapRange(state, h, a)));
        }
    }

    /**
     * For every domain of the IOAS: remove the areas from its page table, invalidate them in the
     * IOTLB of every IOMMU its devices sit behind and in the ATC of every ATS device attached to it,
     * on its queue; the caller (STRICT) waits for a completion behind them. LAZY: the page-table
     * update is published at once, the invalidations wait for the lazy flush (a batch or the
     * maximum delay) and the call returns once the change is committed.
     */
    private static void programUnmap(ContextState state, IoasObject ioas, List<Area> removed) {
        for (int hid : ioas.hwpts) {
            HwptPagingObject h = HwptOps.get(state, hid);
            String domain = state.domainName(h.id);
            java.util.TreeSet<String> iommus = new java.util.TreeSet<>(List.of(h.iommu));
            List<DeviceObject> atsDevices = new ArrayList<>();
            // devices behind a nested HWPT over h cache stage-1 IOVAs we cannot name: their whole ATC goes
            List<DeviceObject> nestedAts = new ArrayList<>();
            for (DeviceObject d : state.all(DeviceObject.class)) {
                List<Integer> attached = new ArrayList<>(d.pasids.values());
                if (d.attachedHwpt != null) {
                    attached.add(d.attachedHwpt);
                }
                boolean nested = attached.stream().anyMatch(id -> state.find(id) instanceof dev.iommufd.ioas.nesting.NestedHwptObject n
                        && n.parentHwptId == h.id);
                if (nested || attached.contains(h.id)) {
                    iommus.add(d.iommu);
                    if (d.ats) {
                        // a whole-ATC flush covers the ranges of a direct attachment too
                        (nested ? nestedAts : atsDevices).add(d);
                    }
                }
            }
            for (Area a : removed) {
                state.emit(h.iommu, new UnmapRange(domain, a.iova(), a.length()));
            }
            boolean lazy = !"STRICT".equals(ioas.invalidationMode);
            for (Area a : removed) {
                iommus.forEach(i -> state.emit(h.iommu, new InvalidateIotlb(i, domain, a.iova(), a.length()), lazy));
                atsDevices.forEach(d -> state.emit(h.iommu, new InvalidateAtc(d.rid, a.iova(), a.length()), lazy));
            }
            nestedAts.forEach(d -> state.emit(h.iommu, new InvalidateAtc(d.rid, 0, 0), lazy));
            if (lazy) {
                state.deferFlush = true;
            }
        }
    }

    public static void setAllowed(ContextState state, int ioasId, List<IovaRange> ranges) {
        get(state, ioasId).withTable(t -> {
            t.setAllowed(ranges);
            return null;
        });
    }
}
