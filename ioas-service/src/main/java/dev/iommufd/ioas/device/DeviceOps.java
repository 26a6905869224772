package dev.iommufd.ioas.device;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.ReservedRegion;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.ioas.IoasObject;
import dev.iommufd.ioas.ioas.IoasOps;
import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.FaultDetach;
import dev.iommufd.contract.events.VdeviceGone;
import dev.iommufd.ioas.nesting.NestedHwptObject;
import dev.iommufd.ioas.nesting.NestingOps;
import java.util.EnumSet;
import java.util.List;

/**
 * Devices: bind/unbind and attach/replace/detach of the RID and of PASIDs (VFIO cdev
 * BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT). Lifetime rule kept here: every attachment holds one
 * user of its HWPT; an auto HWPT goes away with its last attachment; a device's reserved regions
 * are reserved in an IOAS while the device has any attachment to a domain of that IOAS.
 */
public final class DeviceOps {
    private DeviceOps() {}

    public static DeviceObject get(ContextState state, int id) {
        return state.get(id, DeviceObject.class, "device");
    }

    /** Binds {@code rid}; ENODEV if the platform has no such device, EBUSY if this context has it already. */
    public static DeviceObject bind(ContextState state, Topology topo, String rid) {
        DeviceSpec spec = topo.device(rid).orElseThrow(() -> ErrnoException.of(Errno.ENODEV, "no device %s", rid));
        if (state.all(DeviceObject.class).stream().anyMatch(d -> d.rid.equals(rid))) {
            throw ErrnoException.of(Errno.EBUSY, "device %s is already bound", rid);
        }
        DeviceObject d = new DeviceObject();
        d.rid = rid;
        d.iommu = spec.iommu();
        d.ats = spec.ats();
        return state.add(d);
    }

    /**
     * Unbind: detaches the RID and every PASID, force-destroys the device's vdevice (its id stays
     * reserved), then removes the device. viommu-service learns of each vdevice destroyed through a
     * VDEVICE_GONE in the outbox, in this transaction (iommufd_vdevice_abort), so a committed unbind
     * can never leave its row behind. Returns the vdevice ids destroyed.
     */
    public static List<Integer> unbind(ContextState state, Topology topo, int id) {
        DeviceObject d = get(state, id);
        for (Integer pasid : List.copyOf(d.pasids.keySet())) {
            detachPasid(state, topo, id, pasid);
        }
        detach(state, topo, id);
        List<Integer> vdevices = NestingOps.forgetVdevices(state, id);
        for (int v : vdevices) {
            state.emit(state.contextId, new VdeviceGone(state.contextId, v, d.rid));
        }
        state.drop(id);
        return vdevices;
    }

    /** RID attach or atomic replace to a paging HWPT or an IOAS. Returns the HWPT now attached. */
    public static HwptPagingObject attach(ContextState state, Topology topo, int deviceId, int ptId) {
        DeviceObject d = get(state, deviceId);
        HwptPagingObject target = resolve(state, topo, d, ptId, false);
        attachRid(state, topo, d, target, target);
        return target;
    }

    /** RID attach or replace to any HWPT id, nested HWPTs included (their rules: NestingOps). Returns the HWPT id attached. */
    public static int attachAny(ContextState state, Topology topo, int deviceId, int ptId) {
        if (state.find(ptId) instanceof NestedHwptObject n) {
            DeviceObject d = get(state, deviceId);
            attachRid(state, topo, d, n, NestingOps.checkAttach(state, topo, d, n));
            return n.id;
        }
        return attach(state, topo, deviceId, ptId).id;
    }

    /** {@code target}: the HWPT the RID attaches to; {@code paging}: itself or, for a nested HWPT, its parent. */
    private static void attachRid(ContextState state, Topology topo, DeviceObject d, IommufdObject target, HwptPagingObject paging) {
        if (!d.pasids.isEmpty() && !pasidCapable(state, target.id)) {
            throw ErrnoException.of(Errno.EINVAL, "device has PASID attachments: the RID's HWPT needs PASID");
        }
        Integer old = d.attachedHwpt;
        if (old != null && old == target.id) {
            return;
        }
        connect(state, topo, d, target, paging, true);
        d.attachedHwpt = target.id;
        state.emit(NestingOps.home(state, target.id), new AttachDevice(d.rid, null, state.domainName(target.id)));
        if (old != null) {
            faultDetach(state, d, old, null);
            disconnectAny(state, d, old);
        }
    }

    private static boolean pasidCapable(ContextState state, int hwptId) {
        return state.find(hwptId) instanceof NestedHwptObject n ? n.pasid : HwptOps.get(state, hwptId).has(Flag.PASID);
    }

    public static void detach(ContextState state, Topology topo, int deviceId) {
        DeviceObject d = get(state, deviceId);
        if (d.attachedHwpt == null) {
            return;
        }
        int old = d.attachedHwpt;
        d.attachedHwpt = null;
        state.emit(NestingOps.home(state, old), new AttachDevice(d.rid, null, null));
        faultDetach(state, d, old, null);
        disconnectAny(state, d, old);
    }

    /**
     * RID+PASID attach or replace to a paging or a nested HWPT (iommufd_device_attach with a pasid).
     * Order of the kernel: the device's PASID support and range, the object (ENOENT; an IOAS is
     * EINVAL), iommufd_hwpt_pasid_compat (the HWPT and the RID's HWPT allocated with PASID, else
     * EINVAL), then the driver's set_dev_pasid. Returns the HWPT id attached.
     */
    public static int attachPasid(ContextState state, Topology topo, int deviceId, int pasid, int ptId) {
        DeviceObject d = get(state, deviceId);
        checkPasid(topo, d, pasid);
        IommufdObject pt = state.find(ptId);
        if (pt instanceof IoasObject) {
            throw ErrnoException.of(Errno.EINVAL, "a PASID attaches to a HWPT, not an IOAS");
        }
        IommufdObject target;
        HwptPagingObject paging;
        if (pt instanceof NestedHwptObject n) {
            checkPasidCompat(state, d, n.id);
            paging = NestingOps.checkPasidAttach(state, topo, d, n);
            target = n;
        } else {
            paging = resolve(state, topo, d, ptId, true);
            checkPasidCompat(state, d, paging.id);
            target = paging;
        }
        Integer old = d.pasids.get(pasid);
        if (old != null && old == target.id) {
            return target.id;
        }
        connect(state, topo, d, target, paging, false);
        d.pasids.put(pasid, target.id);
        state.emit(NestingOps.home(state, target.id), new AttachDevice(d.rid, pasid, state.domainName(target.id)));
        if (old != null) {
            faultDetach(state, d, old, pasid);
            disconnectAny(state, d, old);
        }
        return target.id;
    }

    /** iommufd_hwpt_pasid_compat for a PASID attach: the HWPT and the RID's HWPT (if any) must take PASIDs. */
    private static void checkPasidCompat(ContextState state, DeviceObject d, int hwptId) {
        if (!pasidCapable(state, hwptId)) {
            throw ErrnoException.of(Errno.EINVAL, "HWPT %d was not allocated with PASID", hwptId);
        }
        if (d.attachedHwpt != null && !pasidCapable(state, d.attachedHwpt)) {
            throw ErrnoException.of(Errno.EINVAL, "the RID's HWPT %d was not allocated with PASID", d.attachedHwpt);
        }
    }

    /** Detaching a PASID that was never attached succeeds. */
    public static void detachPasid(ContextState state, Topology topo, int deviceId, int pasid) {
        DeviceObject d = get(state, deviceId);
        checkPasid(topo, d, pasid);
        Integer old = d.pasids.remove(pasid);
        if (old != null) {
            state.emit(NestingOps.home(state, old), new AttachDevice(d.rid, pasid, null));
            faultDetach(state, d, old, pasid);
            disconnectAny(state, d, old);
        }
    }

    private static void checkPasid(Topology topo, DeviceObject d, int pasid) {
        int bits = HwptOps.deviceSpec(topo, d).pasidBits();
        if (bits == 0 || !HwptOps.iommuOf(topo, d).has("PASID")) {
            throw ErrnoException.of(Errno.EINVAL, "device %s has no PASID support", d.rid);
        }
        if (pasid < 0 || pasid >= (1L << bits)) {
            throw ErrnoException.of(Errno.EINVAL, "pasid %d beyond %d bits", pasid, bits);
        }
    }

    /**
     * The paging HWPT {@code ptId} names: a HWPT, or for an IOAS (RID only) a compatible auto HWPT,
     * made if needed. Nested HWPTs are handled by the callers (attachAny, attachPasid): here EINVAL.
     */
    private static HwptPagingObject resolve(ContextState state, Topology topo, DeviceObject d, int ptId, boolean pasid) {
        IommufdObject pt = state.find(ptId);
        if (pt == null) {
            throw ErrnoException.of(Errno.ENOENT, "no object %d", ptId);
        }
        if (pt instanceof HwptPagingObject h) {
            HwptOps.checkCompatible(topo, h, d);
            return h;
        }
        if (pt instanceof IoasObject ioas && !pasid) {
            for (Integer hid : ioas.hwpts) {
                HwptPagingObject h = HwptOps.get(state, hid);
                if (!h.auto) {
                    continue;
                }
                try {
                    HwptOps.checkCompatible(topo, h, d);
                    return h;
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINVAL) {
                        throw e;
                    }
                }
            }
            IommuSpec iommu = HwptOps.iommuOf(topo, d);
            EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
            return HwptOps.createAuto(state, ioas, iommu, flags);
        }
        throw ErrnoException.of(Errno.EINVAL, "object %d (%s) cannot be attached to", ptId, pt.type());
    }

    /**
     * Takes a user of {@code holder} (the HWPT attached to) and, for the RID ({@code reserve}), reserves
     * the device's regions in the IOAS of {@code h} (itself or a nested HWPT's parent; EADDRINUSE if
     * they take mapped or allowed IOVA). A PASID attach reserves nothing, as Linux's
     * {@code iommufd_hw_pagetable_attach} (attach_resv only for IOMMU_NO_PASID).
     */
    private static void connect(ContextState state, Topology topo, DeviceObject d, IommufdObject holder, HwptPagingObject h,
                                boolean reserve) {
        if (!reserve) {
            holder.users++;
            return;
        }
        IoasObject ioas = IoasOps.get(state, h.ioasId);
        String owner = owner(d);
        List<IovaRange> regions = HwptOps.iommuOf(topo, d).reservedRegions().stream()
                .map(DeviceOps::range).toList();
        ioas.withTable(t -> {
            if (!t.hasReservations(owner) && !regions.isEmpty()) {
                t.reserve(owner, regions);
            }
            return null;
        });
        holder.users++;
    }

    /**
     * The RID ({@code pasid} null) or RID+PASID stops translating through HWPT {@code hwptId}: if it
     * has a fault queue, fault-service answers the device's pending groups INVALID
     * (iommufd_auto_response_faults). Through the outbox, in this transaction, behind the ATTACH.
     */
    private static void faultDetach(ContextState state, DeviceObject d, int hwptId, Integer pasid) {
        IommufdObject h = state.find(hwptId);
        Integer faultId = h instanceof HwptPagingObject p ? p.faultId : h instanceof NestedHwptObject n ? n.faultId : null;
        if (faultId != null) {
            state.emit(state.contextId, new FaultDetach(state.contextId, faultId, d.rid, pasid));
        }
    }

    /** Drops the attachment's user of HWPT {@code hwptId}, paging or nested. */
    private static void disconnectAny(ContextState state, DeviceObject d, int hwptId) {
        if (state.find(hwptId) instanceof NestedHwptObject n) {
            n.users--;
            releaseRegions(state, d, NestingOps.paging(state, hwptId));
        } else {
            disconnect(state, d, HwptOps.get(state, hwptId));
        }
    }

    /** Drops a user of {@code h}: an auto HWPT goes with its last one; the device's regions leave an IOAS it no longer uses. */
    private static void disconnect(ContextState state, DeviceObject d, HwptPagingObject h) {
        h.users--;
        if (h.auto && h.users == 0) {
            HwptOps.destroy(state, h);
        }
        releaseRegions(state, d, h);
    }

    /** The device's reserved regions leave the IOAS of {@code h} unless the RID's attachment still uses it (PASIDs reserve none). */
    private static void releaseRegions(ContextState state, DeviceObject d, HwptPagingObject h) {
        IoasObject ioas = IoasOps.get(state, h.ioasId);
        boolean stillUses = d.attachedHwpt != null && NestingOps.paging(state, d.attachedHwpt).ioasId == ioas.id;
        if (!stillUses) {
            ioas.withTable(t -> {
                t.release(owner(d));
                return null;
            });
        }
    }

    static String owner(DeviceObject d) {
        return "dev:" + d.id;
    }

    private static IovaRange range(ReservedRegion r) {
        return new IovaRange(r.start().bits(), r.last().bits());
    }
}
