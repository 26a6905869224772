package dev.iommufd.ioas.nesting;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The object-table side of viommu-service's objects (pure Java, under the context's row lock):
 * id allocation with the checks that need ioas-service's objects (devices, paging HWPTs, fault
 * queues), the references each object holds, release (EBUSY while held), the unbind rule for
 * vdevices and the rules for attaching a device to a nested HWPT. The objects' own data (STE,
 * stage-1 table, virtual event queues) stays in viommu-service.
 */
public final class NestingOps {
    private NestingOps() {}

    /** IOMMU_VIOMMU_ALLOC's checks in the kernel's order; the vIOMMU holds its parent. */
    public static ViommuObject allocViommu(ContextState st, Topology topo, String type, int deviceId, int hwptId) {
        DeviceObject dev = st.get(deviceId, DeviceObject.class, "device");
        if (!(st.find(hwptId) instanceof HwptPagingObject parent)) {
            throw ErrnoException.of(Errno.ENOENT, "no paging HWPT %d", hwptId);
        }
        if (!parent.has(HwptPagingObject.Flag.NEST_PARENT)) {
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d is not a NEST_PARENT", hwptId);
        }
        IommuSpec iommu = HwptOps.iommuOf(topo, dev);
        if (!iommu.type().name().equals(type)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "device %s is behind a %s IOMMU, not %s", dev.rid, iommu.type(), type);
        }
        if (!iommu.has("NESTING")) {
            // the driver offers no vIOMMU without nesting (get_viommu_size() = 0)
            throw ErrnoException.of(Errno.EOPNOTSUPP, "IOMMU %s of device %s has no nesting", iommu.id(), dev.rid);
        }
        if (!iommu.type().name().equals(parent.iommuType)
                || iommu.type() == IommuType.ARM_SMMUV3 && !iommu.id().equals(parent.iommu)) {
            // arm_vsmmu_init: the S2 parent must belong to the device's SMMU instance
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d belongs to %s, device %s to %s", hwptId, parent.iommu, dev.rid, iommu.id());
        }
        ViommuObject v = new ViommuObject();
        v.viommuType = type;
        v.iommu = iommu.id();
        v.deviceId = deviceId;
        v.parentHwptId = parent.id;
        st.add(v);
        parent.users++;
        return v;
    }

    /** IOMMU_VDEVICE_ALLOC: one vdevice per device, virtIds unique per vIOMMU; it holds the vIOMMU. */
    public static VdeviceObject allocVdevice(ContextState st, int viommuId, int deviceId, long virtId) {
        ViommuObject v = st.get(viommuId, ViommuObject.class, "vIOMMU");
        DeviceObject dev = st.get(deviceId, DeviceObject.class, "device");
        if (!dev.iommu.equals(v.iommu)) {
            throw ErrnoException.of(Errno.EINVAL, "device %s is behind %s, vIOMMU %d on %s", dev.rid, dev.iommu, viommuId, v.iommu);
        }
        for (VdeviceObject o : st.all(VdeviceObject.class)) {
            if (o.deviceId == deviceId) {
                throw ErrnoException.of(Errno.EEXIST, "device %d already has vdevice %d", deviceId, o.id);
            }
            if (o.viommuId == viommuId && o.virtId == virtId) {
                throw ErrnoException.of(Errno.EEXIST, "virtId 0x%x is used in vIOMMU %d by vdevice %d", virtId, viommuId, o.id);
            }
        }
        VdeviceObject vd = new VdeviceObject();
        vd.viommuId = viommuId;
        vd.deviceId = deviceId;
        vd.virtId = virtId;
        st.add(vd);
        v.users++;
        return vd;
    }

    public enum NestedFlag { FAULT_ID_VALID, PASID }

    /**
     * IOMMU_HWPT_ALLOC of a nested HWPT, the object-table part: {@code ptId} is a vIOMMU or a
     * NEST_PARENT paging HWPT (anything else, missing included, is EINVAL as the API's ptId rule).
     * The data itself is checked by viommu-service.
     */
    public static NestedHwptObject allocNested(ContextState st, Topology topo, int deviceId, int ptId,
                                               java.util.Set<NestedFlag> flags, Integer faultId) {
        DeviceObject dev = st.get(deviceId, DeviceObject.class, "device");
        IommufdObject pt = st.find(ptId);
        IommuSpec iommu = HwptOps.iommuOf(topo, dev);
        HwptPagingObject parent;
        ViommuObject viommu = null;
        if (pt instanceof ViommuObject v) {
            if (!v.iommu.equals(dev.iommu)) {
                throw ErrnoException.of(Errno.EINVAL, "vIOMMU %d is on %s, device %s behind %s", ptId, v.iommu, dev.rid, dev.iommu);
            }
            viommu = v;
            parent = HwptOps.get(st, v.parentHwptId);
        } else if (pt instanceof HwptPagingObject h) {
            if (!h.has(HwptPagingObject.Flag.NEST_PARENT)) {
                throw ErrnoException.of(Errno.EINVAL, "HWPT %d is not a NEST_PARENT", ptId);
            }
            if (!iommu.type().name().equals(h.iommuType)
                    || iommu.type() == IommuType.ARM_SMMUV3 && !iommu.id().equals(h.iommu)) {
                throw ErrnoException.of(Errno.EINVAL, "HWPT %d belongs to %s, device %s to %s", ptId, h.iommu, dev.rid, iommu.id());
            }
            parent = h;
        } else {
            throw ErrnoException.of(Errno.EINVAL, "ptId %d is neither a vIOMMU nor a NEST_PARENT paging HWPT", ptId);
        }
        if (!iommu.has("NESTING")) {
            // e.g. a dmar1 device on a dmar0 parent: intel_iommu_domain_alloc_nested's nested_supported()
            throw ErrnoException.of(Errno.EOPNOTSUPP, "IOMMU %s of device %s has no nesting", iommu.id(), dev.rid);
        }
        if (flags.contains(NestedFlag.FAULT_ID_VALID)) {
            IommufdObject f = faultId == null ? null : st.find(faultId);
            if (f == null || f.type() != ObjectType.FAULT) {
                throw ErrnoException.of(Errno.ENOENT, "no fault queue %s", faultId);
            }
        } // without FAULT_ID_VALID a faultId is ignored, as the kernel reads fault_id only with the flag
        NestedHwptObject n = new NestedHwptObject();
        n.iommu = dev.iommu;
        n.iommuType = iommu.type().name();
        n.parentHwptId = parent.id;
        n.viommuId = viommu == null ? null : viommu.id;
        n.faultId = flags.contains(NestedFlag.FAULT_ID_VALID) ? faultId : null;
        n.pasid = flags.contains(NestedFlag.PASID);
        st.add(n);
        if (viommu != null) {
            viommu.users++;
        } else {
            parent.users++;
        }
        if (n.faultId != null) {
            st.find(n.faultId).users++;
        }
        return n;
    }

    /** IOMMU_VEVENTQ_ALLOC's table part: one queue per type per vIOMMU (EEXIST); it holds the vIOMMU. */
    public static VeventqObject allocVeventq(ContextState st, int viommuId, String type) {
        ViommuObject v = st.get(viommuId, ViommuObject.class, "vIOMMU");
        for (VeventqObject q : st.all(VeventqObject.class)) {
            if (q.viommuId == viommuId && q.veventqType.equals(type)) {
                throw ErrnoException.of(Errno.EEXIST, "vIOMMU %d already has a %s vEVENTQ (%d)", viommuId, type, q.id);
            }
        }
        VeventqObject q = new VeventqObject();
        q.viommuId = viommuId;
        q.veventqType = type;
        st.add(q);
        v.users++;
        return q;
    }

    /** IOMMU_DESTROY of one of viommu-service's objects: ENOENT if not one, EBUSY while held; drops what it held. */
    public static IommufdObject release(ContextState st, int id) {
        IommufdObject o = st.find(id);
        if (!(o instanceof ViommuObject || o instanceof VdeviceObject || o instanceof NestedHwptObject || o instanceof VeventqObject)) {
            throw ErrnoException.of(Errno.ENOENT, "no vIOMMU, vdevice, nested HWPT or vEVENTQ %d", id);
        }
        st.destroy(id);
        if (o instanceof ViommuObject v) {
            HwptOps.get(st, v.parentHwptId).users--;
        } else if (o instanceof VdeviceObject vd) {
            st.find(vd.viommuId).users--;
        } else if (o instanceof NestedHwptObject n) {
            st.find(n.viommuId != null ? n.viommuId : n.parentHwptId).users--;
            if (n.faultId != null && st.find(n.faultId) != null) {
                st.find(n.faultId).users--;
            }
        } else if (o instanceof VeventqObject q) {
            st.find(q.viommuId).users--;
        }
        return o;
    }

    /**
     * Unbind: the device's vdevice is destroyed with it (the kernel's tombstone: the id is never
     * handed out again, its destroy is ENOENT). Returns the ids removed, for viommu-service.
     */
    public static List<Integer> forgetVdevices(ContextState st, int deviceId) {
        List<Integer> gone = new ArrayList<>();
        for (VdeviceObject vd : st.all(VdeviceObject.class)) {
            if (vd.deviceId == deviceId) {
                st.drop(vd.id);
                st.find(vd.viommuId).users--;
                gone.add(vd.id);
            }
        }
        return gone;
    }

    /**
     * Attaching {@code dev} to nested HWPT {@code n}: same IOMMU instance, a device its parent
     * accepts, and made from a vIOMMU, a vdevice of the device in that vIOMMU (ENOENT otherwise).
     * Returns the parent paging HWPT (its IOAS gets the device's reserved regions).
     */
    public static HwptPagingObject checkAttach(ContextState st, Topology topo, DeviceObject dev, NestedHwptObject n) {
        if (!dev.iommu.equals(n.iommu)) {
            throw ErrnoException.of(Errno.EINVAL, "nested HWPT %d is on %s, device %s behind %s", n.id, n.iommu, dev.rid, dev.iommu);
        }
        HwptPagingObject parent = HwptOps.get(st, n.parentHwptId);
        HwptOps.checkCompatible(topo, parent, dev);
        if (n.viommuId != null && st.all(VdeviceObject.class).stream()
                .noneMatch(vd -> vd.deviceId == dev.id && vd.viommuId == n.viommuId)) {
            throw ErrnoException.of(Errno.ENOENT, "device %d has no vdevice in vIOMMU %d", dev.id, n.viommuId);
        }
        return parent;
    }

    /**
     * Attaching RID+PASID of {@code dev} to nested HWPT {@code n} (iommu_attach_device_pasid with a
     * nested domain), after the PASID-compat check: an SMMUv3 nested domain has no set_dev_pasid
     * (its STE belongs to the RID; the guest's CD table holds the SSIDs), EOPNOTSUPP before any
     * other check as the iommu core does; a VT-d one (intel_nested_set_dev_pasid) follows the RID
     * rules of {@link #checkAttach}. Returns the parent paging HWPT.
     */
    public static HwptPagingObject checkPasidAttach(ContextState st, Topology topo, DeviceObject dev, NestedHwptObject n) {
        if (IommuType.ARM_SMMUV3.name().equals(n.iommuType)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "an SMMUv3 nested HWPT (%d) cannot be attached to a PASID", n.id);
        }
        return checkAttach(st, topo, dev, n);
    }

    /** The paging HWPT behind attachment {@code hwptId}: itself, or a nested HWPT's parent. */
    public static HwptPagingObject paging(ContextState st, int hwptId) {
        if (st.find(hwptId) instanceof NestedHwptObject n) {
            return HwptOps.get(st, n.parentHwptId);
        }
        return HwptOps.get(st, hwptId);
    }

    /** The IOMMU whose queue carries commands for attachment {@code hwptId} (paging or nested). */
    public static String home(ContextState st, int hwptId) {
        if (st.find(hwptId) instanceof NestedHwptObject n) {
            return n.iommu;
        }
        return HwptOps.get(st, hwptId).iommu;
    }
}
