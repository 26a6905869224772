package dev.iommufd.ioas.hwpt;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.ioas.IoasObject;
import dev.iommufd.ioas.ioas.IoasOps;
import java.util.List;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.ioas.core.Area;
import dev.iommufd.ioas.memory.MemoryObject;
import java.util.Set;

/**
 * Paging HWPTs: allocation (IOMMU_HWPT_ALLOC on an IOAS), the compatibility rules between a
 * domain and a device, and the effect of a domain on its IOAS (aperture reserved, alignment).
 */
public final class HwptOps {
    /** The smallest page size of every simulated IOMMU: the IOAS alignment while a domain exists. */
    public static final long PAGE = 4096;

    private HwptOps() {}

    public static HwptPagingObject get(ContextState state, int id) {
        return state.get(id, HwptPagingObject.class, "paging HWPT");
    }

    /** IOMMU_HWPT_ALLOC with an IOAS as parent. */
    public static HwptPagingObject alloc(ContextState state, Topology topo, int deviceId, int ptId, Set<Flag> flags, Integer faultId) {
        DeviceObject dev = state.get(deviceId, DeviceObject.class, "device");
        IommufdObject pt = state.find(ptId);
        if (!(pt instanceof IoasObject ioas)) {
            throw ErrnoException.of(Errno.EINVAL, "ptId %d is not an IOAS", ptId);
        }
        IommuSpec iommu = iommuOf(topo, dev);
        DeviceSpec spec = deviceSpec(topo, dev);
        if (flags.contains(Flag.NEST_PARENT) && flags.contains(Flag.FAULT_ID_VALID)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "NEST_PARENT cannot take a fault queue");
        }
        if (flags.contains(Flag.NEST_PARENT) && !iommu.has("NESTING")) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "%s does not support nesting", iommu.id());
        }
        if (flags.contains(Flag.DIRTY_TRACKING) && !(iommu.has("DIRTY_TRACKING") && spec.dirty())) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "no dirty tracking on %s", dev.rid);
        }
        if (flags.contains(Flag.PASID) && !iommu.has("PASID")) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "%s does not support PASID", iommu.id());
        }
        if (flags.contains(Flag.FAULT_ID_VALID)) {
            IommufdObject f = faultId == null ? null : state.find(faultId);
            if (f == null || f.type() != ObjectType.FAULT) {
                throw ErrnoException.of(Errno.ENOENT, "no fault queue %s", faultId);
            }
        } // without FAULT_ID_VALID a faultId is ignored, as the kernel reads fault_id only with the flag
        HwptPagingObject h = create(state, ioas, iommu, flags, false, flags.contains(Flag.FAULT_ID_VALID) ? faultId : null);
        if (h.faultId != null) {
            state.find(faultId).users++;
        }
        return h;
    }

    /** A kernel-managed domain made by attaching a device to an IOAS id. */
    public static HwptPagingObject createAuto(ContextState state, IoasObject ioas, IommuSpec iommu, Set<Flag> flags) {
        return create(state, ioas, iommu, flags, true, null);
    }

    /** A new domain on {@code ioas} for a device of {@code iommu}: reserves what lies outside its aperture. */
    static HwptPagingObject create(ContextState state, IoasObject ioas, IommuSpec iommu, Set<Flag> flags, boolean auto, Integer faultId) {
        HwptPagingObject h = new HwptPagingObject();
        h.ioasId = ioas.id;
        h.iommu = iommu.id();
        h.iommuType = iommu.type().name();
        h.enforceCoherency = iommu.has("ENFORCE_COHERENCY");
        h.addressWidth = iommu.addressWidth();
        h.auto = auto;
        h.flags.addAll(flags);
        h.faultId = faultId;
        state.add(h);
        ioas.withTable(t -> {
            if (h.addressWidth < 64) {
                t.reserve(owner(h), List.of(new IovaRange(1L << h.addressWidth, -1L)));
            }
            if (t.alignment() < PAGE) {
                t.setAlignment(PAGE);
            }
            return null;
        });
        ioas.hwpts.add(h.id);
        ioas.users++;
        // the new domain starts with every mapping of its IOAS
        // faultId: a translation miss of a PRI device becomes a page request to that queue
        state.emit(h.iommu, new DomainCreate(state.domainName(h.id), h.iommu, h.addressWidth, ioas.hugePages == 1, h.faultId));
        for (Area a : ioas.table.areas()) {
            state.emit(h.iommu, mapRange(state, h, a));
        }
        return h;
    }

    /** The page-table update that makes domain {@code h} translate area {@code a}. */
    public static MapRange mapRange(ContextState state, HwptPagingObject h, Area a) {
        MemoryObject m = state.get((int) a.memoryId(), MemoryObject.class, "memory");
        return new MapRange(state.domainName(h.id), a.iova(), a.length(), m.hostPa + a.offset(), a.readable(), a.writeable());
    }

    /** Removes a domain nothing is attached to; its IOAS gets its IOVA back. */
    public static void destroy(ContextState state, HwptPagingObject h) {
        state.destroy(h.id);
        IoasObject ioas = IoasOps.get(state, h.ioasId);
        ioas.hwpts.remove(h.id);
        ioas.users--;
        ioas.withTable(t -> {
            t.release(owner(h));
            if (ioas.hwpts.isEmpty()) {
                t.setAlignment(1);
            }
            return null;
        });
        if (h.faultId != null && state.find(h.faultId) != null) {
            state.find(h.faultId).users--;
        }
        state.emit(h.iommu, new DomainDestroy(state.domainName(h.id)));
    }

    /** EINVAL unless {@code dev} can use domain {@code h} (same IOMMU type and instance rules, coherency, dirty). */
    public static void checkCompatible(Topology topo, HwptPagingObject h, DeviceObject dev) {
        IommuSpec iommu = iommuOf(topo, dev);
        if (!iommu.type().name().equals(h.iommuType)) {
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d is a %s domain, device %s is behind %s", h.id, h.iommuType, dev.rid, iommu.type());
        }
        if (iommu.type() == IommuType.ARM_SMMUV3 && !iommu.id().equals(h.iommu)) {
            throw ErrnoException.of(Errno.EINVAL, "an SMMUv3 domain belongs to %s", h.iommu);
        }
        if (h.enforceCoherency && !iommu.has("ENFORCE_COHERENCY")) {
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d enforces cache coherency, %s cannot", h.id, iommu.id());
        }
        if (h.has(Flag.DIRTY_TRACKING) && !deviceSpec(topo, dev).dirty()) {
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d tracks dirty pages, %s cannot", h.id, dev.rid);
        }
    }

    public static String owner(HwptPagingObject h) {
        return "hwpt:" + h.id;
    }

    public static IommuSpec iommuOf(Topology topo, DeviceObject dev) {
        return topo.iommu(dev.iommu).orElseThrow(() -> ErrnoException.of(Errno.ENODEV, "IOMMU %s gone", dev.iommu));
    }

    public static DeviceSpec deviceSpec(Topology topo, DeviceObject dev) {
        return topo.device(dev.rid).orElseThrow(() -> ErrnoException.of(Errno.ENODEV, "device %s gone", dev.rid));
    }
}
