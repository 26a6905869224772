package dev.iommufd.ioas.nesting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.FaultDetach;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.VdeviceGone;
import dev.iommufd.contract.events.ViommuFree;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.context.ExternalObject;
import dev.iommufd.ioas.context.ObjectType;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.device.DeviceOps;
import dev.iommufd.ioas.events.HwCommand;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.ioas.IoasOps;
import dev.iommufd.ioas.nesting.NestingOps.NestedFlag;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The object-table side of vIOMMUs, vdevices, nested HWPTs and vEVENTQs — pure logic. */
class NestingOpsTest {
    static final Topology TOPO = Topology.defaults();
    static final String NIC = "0000:03:00.0";       // dmar0 (nesting)
    static final String ACCEL = "0000:04:00.0";     // dmar0
    static final String GRAPHICS = "0000:00:02.0";  // dmar1 (no nesting)
    static final String SMMU_DEV = "0001:00:01.0";  // smmu0, SID 8
    static final String SMMU_DEV2 = "0001:00:02.0"; // smmu0, SID 0x10

    final ContextState st = new ContextState();
    final int ioas;
    final int nic;
    final int accel;
    final int gfx;
    final int smmuDev;
    final int smmuDev2;
    final int vtdParent;
    final int smmuParent;
    final int plain;

    NestingOpsTest() {
        st.contextId = "c";
        ioas = IoasOps.create(st).id;
        nic = DeviceOps.bind(st, TOPO, NIC).id;
        accel = DeviceOps.bind(st, TOPO, ACCEL).id;
        gfx = DeviceOps.bind(st, TOPO, GRAPHICS).id;
        smmuDev = DeviceOps.bind(st, TOPO, SMMU_DEV).id;
        smmuDev2 = DeviceOps.bind(st, TOPO, SMMU_DEV2).id;
        vtdParent = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.of(Flag.NEST_PARENT), null).id;
        smmuParent = HwptOps.alloc(st, TOPO, smmuDev, ioas, EnumSet.of(Flag.NEST_PARENT), null).id;
        plain = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.noneOf(Flag.class), null).id;
    }

    /** Runs {@code r} on a copy (the rolled-back transaction) and asserts errno {@code e}; the state is unchanged. */
    void refused(Errno e, Consumer<ContextState> r) {
        String before = ContextStore.encode(st);
        ContextState copy = copy(st);
        assertEquals(e, assertThrows(ErrnoException.class, () -> r.accept(copy)).errno());
        assertEquals(before, ContextStore.encode(st));
    }

    static ContextState copy(ContextState s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(ContextStore.encode(s), ContextState.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int users(int id) {
        return st.find(id).users;
    }

    @Test
    void viommuAllocRules() {
        refused(Errno.ENOENT, s -> NestingOps.allocViommu(s, TOPO, "INTEL_VTD", 999, vtdParent));
        refused(Errno.ENOENT, s -> NestingOps.allocViommu(s, TOPO, "INTEL_VTD", nic, 0));
        refused(Errno.ENOENT, s -> NestingOps.allocViommu(s, TOPO, "INTEL_VTD", nic, ioas));
        refused(Errno.EINVAL, s -> NestingOps.allocViommu(s, TOPO, "INTEL_VTD", nic, plain));
        refused(Errno.EOPNOTSUPP, s -> NestingOps.allocViommu(s, TOPO, "ARM_SMMUV3", nic, vtdParent));
        refused(Errno.EINVAL, s -> NestingOps.allocViommu(s, TOPO, "ARM_SMMUV3", smmuDev, vtdParent));
        refused(Errno.EOPNOTSUPP, s -> NestingOps.allocViommu(s, TOPO, "INTEL_VTD", gfx, vtdParent));    // dmar1: no nesting
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "INTEL_VTD", nic, vtdParent);
        assertEquals("dmar0", v.iommu);
        assertEquals(1, users(vtdParent));
        refused(Errno.EBUSY, s -> HwptOps.destroy(s, HwptOps.get(s, vtdParent)));
        NestingOps.release(st, v.id);
        assertEquals(0, users(vtdParent));
        assertNull(st.find(v.id));
        refused(Errno.ENOENT, s -> NestingOps.release(s, v.id));
        refused(Errno.ENOENT, s -> NestingOps.release(s, vtdParent));
    }

    @Test
    void vdeviceRulesAndUnbindTombstone() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        refused(Errno.ENOENT, s -> NestingOps.allocVdevice(s, 999, smmuDev, 1));
        refused(Errno.ENOENT, s -> NestingOps.allocVdevice(s, smmuParent, smmuDev, 1));
        refused(Errno.ENOENT, s -> NestingOps.allocVdevice(s, v.id, 999, 1));
        refused(Errno.EINVAL, s -> NestingOps.allocVdevice(s, v.id, nic, 1));
        VdeviceObject vd = NestingOps.allocVdevice(st, v.id, smmuDev, 0x8);
        refused(Errno.EEXIST, s -> NestingOps.allocVdevice(s, v.id, smmuDev, 0x9));
        refused(Errno.EEXIST, s -> NestingOps.allocVdevice(s, v.id, smmuDev2, 0x8));
        NestingOps.allocVdevice(st, v.id, smmuDev2, 0x10);
        assertEquals(2, users(v.id));
        refused(Errno.EBUSY, s -> NestingOps.release(s, v.id));
        // a failed unbind queues nothing (and its transaction stores nothing)
        ContextState failed = copy(st);
        failed.contextId = "c";
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> DeviceOps.unbind(failed, TOPO, v.id)).errno());
        assertEquals(List.of(), failed.commands);
        // unbind force-destroys the vdevice: gone from the table, its id never comes back
        st.commands.clear();
        assertEquals(List.of(vd.id), DeviceOps.unbind(st, TOPO, smmuDev));
        assertNull(st.find(vd.id));
        // viommu-service is told through the outbox of the same transaction, keyed by the context
        assertEquals(List.of(new HwCommand("c", new VdeviceGone("c", vd.id, SMMU_DEV), false)),
                st.commands.stream().filter(c -> c.payload() instanceof VdeviceGone).toList());
        assertEquals(Topics.CONTEXTS, Topics.of(new VdeviceGone("c", vd.id, SMMU_DEV)));
        assertEquals(Set.of(), st.queuesUsed(), "a context event needs no hardware sync");
        assertEquals(1, users(v.id));
        refused(Errno.ENOENT, s -> NestingOps.release(s, vd.id));
        assertTrue(DeviceOps.bind(st, TOPO, SMMU_DEV).id > vd.id);
    }

    @Test
    void nestedAllocRules() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        Set<NestedFlag> none = EnumSet.noneOf(NestedFlag.class);
        refused(Errno.ENOENT, s -> NestingOps.allocNested(s, TOPO, 999, vtdParent, none, null));
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, nic, 999, none, null));
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, nic, ioas, none, null));
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, nic, plain, none, null));
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, nic, v.id, none, null));        // vIOMMU on another IOMMU
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, smmuDev, vtdParent, none, null));
        refused(Errno.EOPNOTSUPP, s -> NestingOps.allocNested(s, TOPO, gfx, vtdParent, none, null));       // dmar1: no nesting
        refused(Errno.EOPNOTSUPP, s -> NestingOps.allocNested(s, TOPO, gfx, vtdParent, EnumSet.of(NestedFlag.FAULT_ID_VALID), 999));
        refused(Errno.ENOENT, s -> NestingOps.allocNested(s, TOPO, nic, vtdParent, EnumSet.of(NestedFlag.FAULT_ID_VALID), 999));
        assertNull(NestingOps.allocNested(copy(st), TOPO, nic, vtdParent, none, 3).faultId, "a faultId without FAULT_ID_VALID is ignored");
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, nic, vtdParent, none, null);
        assertEquals(1, users(vtdParent));
        refused(Errno.EINVAL, s -> NestingOps.allocNested(s, TOPO, nic, n.id, none, null));        // nested on nested
        NestedHwptObject m = NestingOps.allocNested(st, TOPO, smmuDev, v.id, none, null);
        assertEquals(1, users(v.id));
        assertEquals(1, users(smmuParent));  // the vIOMMU's reference; the nested HWPT holds the vIOMMU
        NestingOps.release(st, m.id);
        NestingOps.release(st, n.id);
        assertEquals(0, users(vtdParent));
        assertEquals(0, users(v.id));
    }

    @Test
    void attachToNestedNeedsVdeviceAndHoldsTheHwpt() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, smmuDev, v.id, EnumSet.noneOf(NestedFlag.class), null);
        refused(Errno.ENOENT, s -> DeviceOps.attachAny(s, TOPO, smmuDev, n.id));   // no vdevice yet
        refused(Errno.EINVAL, s -> DeviceOps.attachAny(s, TOPO, nic, n.id));       // another IOMMU
        NestingOps.allocVdevice(st, v.id, smmuDev, 8);
        st.commands.clear();
        assertEquals(n.id, DeviceOps.attachAny(st, TOPO, smmuDev, n.id));
        assertEquals(List.of(new AttachDevice(SMMU_DEV, null, "c/" + n.id)), st.commands.stream().map(c -> c.payload()).toList());
        assertEquals(1, users(n.id));
        refused(Errno.EBUSY, s -> NestingOps.release(s, n.id));
        // replace by the parent: the nested HWPT is free again
        assertEquals(smmuParent, DeviceOps.attachAny(st, TOPO, smmuDev, smmuParent));
        assertEquals(0, users(n.id));
        DeviceOps.attachAny(st, TOPO, smmuDev, n.id);
        DeviceOps.detach(st, TOPO, smmuDev);
        assertEquals(0, users(n.id));
        assertNull(DeviceOps.get(st, smmuDev).attachedHwpt);
        // nested from a bare NEST_PARENT: no vdevice needed
        NestedHwptObject w = NestingOps.allocNested(st, TOPO, nic, vtdParent, EnumSet.noneOf(NestedFlag.class), null);
        assertEquals(w.id, DeviceOps.attachAny(st, TOPO, accel, w.id));
        refused(Errno.EINVAL, s -> DeviceOps.attachAny(s, TOPO, gfx, w.id));
    }

    @Test
    void veventqOnePerTypeAndTeardownOrder() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        refused(Errno.ENOENT, s -> NestingOps.allocVeventq(s, 999, "ARM_SMMUV3"));
        VeventqObject q = NestingOps.allocVeventq(st, v.id, "ARM_SMMUV3");
        refused(Errno.EEXIST, s -> NestingOps.allocVeventq(s, v.id, "ARM_SMMUV3"));
        assertEquals(1, users(v.id));
        NestingOps.allocVdevice(st, v.id, smmuDev, 8);
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, smmuDev, v.id, EnumSet.noneOf(NestedFlag.class), null);
        DeviceOps.attachAny(st, TOPO, smmuDev, n.id);
        st.commands.clear();
        st.teardown();
        List<Object> cmds = st.commands.stream().map(c -> (Object) c.payload()).toList();
        int detach = cmds.indexOf(new AttachDevice(SMMU_DEV, null, null));
        int nestedGone = cmds.indexOf(new DomainDestroy("c/" + n.id));
        int viommuGone = cmds.indexOf(new ViommuFree("c/" + v.id));
        int parentGone = cmds.indexOf(new DomainDestroy("c/" + smmuParent));
        assertTrue(detach >= 0 && detach < nestedGone && nestedGone < viommuGone && viommuGone < parentGone, cmds.toString());
        assertTrue(st.commands.stream().allMatch(c -> c.key() != null));
        NestingOps.release(st, q.id);
        assertEquals(2, users(v.id)); // the vdevice and the nested HWPT
    }

    @Test
    void parentUnmapFlushesTheWholeAtcOfDevicesBehindNestedHwpts() {
        int mem = dev.iommufd.ioas.memory.MemoryOps.create(st, 0x200000, 0x1000_0000L).id;
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, nic, vtdParent, EnumSet.noneOf(NestedFlag.class), null);
        DeviceOps.attachAny(st, TOPO, nic, n.id);
        long iova = IoasOps.map(st, ioas, EnumSet.of(IoasOps.MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x2000, null).iova();
        st.commands.clear();
        IoasOps.unmap(st, ioas, iova, 0x2000);
        List<Object> cmds = st.commands.stream().map(c -> (Object) c.payload()).toList();
        assertTrue(cmds.contains(new dev.iommufd.contract.events.InvalidateAtc(NIC, 0, 0)), cmds.toString());
        assertTrue(cmds.contains(new dev.iommufd.contract.events.InvalidateIotlb("dmar0", "c/" + vtdParent, iova, 0x2000)), cmds.toString());
    }

    @Test
    void objectTableSurvivesTheJsonRoundTrip() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        NestingOps.allocVdevice(st, v.id, smmuDev, 8);
        NestingOps.allocNested(st, TOPO, smmuDev, v.id, EnumSet.of(NestedFlag.PASID), null);
        NestingOps.allocVeventq(st, v.id, "ARM_SMMUV3");
        assertEquals(ContextStore.encode(st), ContextStore.encode(copy(st)));
        assertEquals(List.of("IOAS", "DEVICE", "DEVICE", "DEVICE", "DEVICE", "DEVICE", "HWPT_PAGING", "HWPT_PAGING", "HWPT_PAGING",
                "VIOMMU", "VDEVICE", "HWPT_NESTED", "VEVENTQ"), copy(st).objects.values().stream().map(o -> o.type().name()).toList());
        HwptPagingObject parent = HwptOps.get(copy(st), smmuParent);
        assertEquals(1, parent.users);
    }

    static final Set<NestedFlag> PASID = EnumSet.of(NestedFlag.PASID);

    List<Object> payloads() {
        List<Object> out = st.commands.stream().map(c -> (Object) c.payload()).toList();
        st.commands.clear();
        return out;
    }

    boolean reservedFor(int deviceId) {
        return IoasOps.get(st, ioas).withTable(t -> t.hasReservations("dev:" + deviceId));
    }

    @Test
    void pasidAttachToAVtdNestedHwptErrnoOrder() {
        NestedHwptObject pn = NestingOps.allocNested(st, TOPO, nic, vtdParent, PASID, null);
        NestedHwptObject np = NestingOps.allocNested(st, TOPO, nic, vtdParent, EnumSet.noneOf(NestedFlag.class), null);
        refused(Errno.ENOENT, s -> DeviceOps.attachPasid(s, TOPO, 999, 1, pn.id));
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, gfx, 1, pn.id));           // device without PASID
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1 << 20, pn.id));     // beyond 20 bits
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, -1, pn.id));
        refused(Errno.ENOENT, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, 999));
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, ioas));
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, np.id));          // not allocated with PASID
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, smmuDev, 1, pn.id));      // another IOMMU
        // the RID's HWPT must take PASIDs too (iommufd_hwpt_pasid_compat)
        DeviceOps.attachAny(st, TOPO, nic, np.id);
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, pn.id));
        DeviceOps.attachAny(st, TOPO, nic, plain);
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, pn.id));
        DeviceOps.detach(st, TOPO, nic);
        // ... and no RID attach to a HWPT without PASID while a PASID is attached
        DeviceOps.attachPasid(st, TOPO, nic, 1, pn.id);
        refused(Errno.EINVAL, s -> DeviceOps.attachAny(s, TOPO, nic, np.id));
        refused(Errno.EINVAL, s -> DeviceOps.attachAny(s, TOPO, nic, plain));
        assertEquals(pn.id, DeviceOps.attachAny(st, TOPO, nic, pn.id));                   // a PASID-capable RID HWPT is fine
    }

    @Test
    void pasidAttachReplaceDetachOfAVtdNestedHwptHoldsIt() {
        NestedHwptObject pn = NestingOps.allocNested(st, TOPO, nic, vtdParent, PASID, null);
        int pagingPasid = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.of(Flag.PASID), null).id;
        int parentUsers = users(vtdParent);
        st.commands.clear();
        assertEquals(pn.id, DeviceOps.attachPasid(st, TOPO, nic, 3, pn.id));
        assertEquals(List.of(new HwCommand("dmar0", new AttachDevice(NIC, 3, "c/" + pn.id), false)), st.commands);
        st.commands.clear();
        DeviceObject d = DeviceOps.get(st, nic);
        assertEquals(Map.of(3, pn.id), d.pasids);
        assertNull(d.attachedHwpt);
        assertEquals(1, users(pn.id));
        assertEquals(parentUsers, users(vtdParent), "the attachment holds the nested HWPT, not its parent");
        assertTrue(!reservedFor(nic), "a PASID attach reserves no regions (Linux: the RID's only)");
        refused(Errno.EBUSY, s -> NestingOps.release(s, pn.id));
        // the same HWPT again: nothing changes, nothing is sent
        assertEquals(pn.id, DeviceOps.attachPasid(st, TOPO, nic, 3, pn.id));
        assertEquals(List.of(), payloads());
        assertEquals(1, users(pn.id));
        // a second PASID and the RID may share it
        DeviceOps.attachPasid(st, TOPO, nic, 4, pn.id);
        DeviceOps.attachAny(st, TOPO, nic, pn.id);
        assertEquals(3, users(pn.id));
        assertTrue(reservedFor(nic), "the RID's attachment reserves them in the parent's IOAS");
        DeviceOps.detachPasid(st, TOPO, nic, 4);
        assertTrue(reservedFor(nic), "still the RID's");
        DeviceOps.detach(st, TOPO, nic);
        assertTrue(!reservedFor(nic));
        payloads();
        // replace by a paging HWPT and back
        assertEquals(pagingPasid, DeviceOps.attachPasid(st, TOPO, nic, 3, pagingPasid));
        assertEquals(List.of(new AttachDevice(NIC, 3, "c/" + pagingPasid)), payloads());
        assertEquals(0, users(pn.id));
        assertEquals(1, users(pagingPasid));
        assertTrue(!reservedFor(nic));
        DeviceOps.attachPasid(st, TOPO, nic, 3, pn.id);
        assertEquals(List.of(new AttachDevice(NIC, 3, "c/" + pn.id)), payloads());
        assertEquals(0, users(pagingPasid));
        assertEquals(1, users(pn.id));
        // detach: blocked, the HWPT free again
        DeviceOps.detachPasid(st, TOPO, nic, 3);
        assertEquals(List.of(new AttachDevice(NIC, 3, null)), payloads());
        assertEquals(Map.of(), DeviceOps.get(st, nic).pasids);
        assertEquals(0, users(pn.id));
        DeviceOps.detachPasid(st, TOPO, nic, 3);                                       // never attached now: fine
        assertEquals(List.of(), payloads());
        NestingOps.release(st, pn.id);
        assertEquals(parentUsers - 1, users(vtdParent));
    }

    @Test
    void pasidAttachOfANestedHwptMadeOnAVtdViommuNeedsTheVdevice() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "INTEL_VTD", nic, vtdParent);
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, nic, v.id, PASID, null);
        refused(Errno.ENOENT, s -> DeviceOps.attachPasid(s, TOPO, accel, 2, n.id));
        VdeviceObject vd = NestingOps.allocVdevice(st, v.id, accel, 0x20);
        assertEquals(n.id, DeviceOps.attachPasid(st, TOPO, accel, 2, n.id));
        assertEquals(1, users(n.id));
        // unbind: the PASID is detached, the vdevice force-destroyed, viommu-service told
        st.commands.clear();
        DeviceOps.unbind(st, TOPO, accel);
        assertEquals(List.of(new AttachDevice(ACCEL, 2, null), new VdeviceGone("c", vd.id, ACCEL)), payloads());
        assertEquals(0, users(n.id));
        assertEquals(1, users(v.id), "the nested HWPT's reference only");
    }

    @Test
    void smmuNestedHwptsRefusePasidAttach() {
        ViommuObject v = NestingOps.allocViommu(st, TOPO, "ARM_SMMUV3", smmuDev, smmuParent);
        NestingOps.allocVdevice(st, v.id, smmuDev, 8);
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, smmuDev, v.id, EnumSet.noneOf(NestedFlag.class), null);
        // as Linux allocates them (viommu-service refuses PASID on SMMUv3): not PASID-capable, EINVAL first
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, smmuDev, 1, n.id));
        // a PASID-flagged one (only this table could hold it): no set_dev_pasid in the nested ops
        NestedHwptObject p = NestingOps.allocNested(st, TOPO, smmuDev, v.id, PASID, null);
        refused(Errno.EOPNOTSUPP, s -> DeviceOps.attachPasid(s, TOPO, smmuDev, 1, p.id));
        refused(Errno.EOPNOTSUPP, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, p.id));      // before the IOMMU check, as the core
        // the RID attach is unaffected
        assertEquals(n.id, DeviceOps.attachAny(st, TOPO, smmuDev, n.id));
    }

    @Test
    void leavingAPasidOfANestedHwptWithAFaultQueueTellsFaultService() {
        ExternalObject fault = new ExternalObject();
        fault.kind = ObjectType.FAULT;
        int f = st.add(fault).id;
        NestedHwptObject pri = NestingOps.allocNested(st, TOPO, nic, vtdParent, EnumSet.of(NestedFlag.PASID, NestedFlag.FAULT_ID_VALID), f);
        NestedHwptObject other = NestingOps.allocNested(st, TOPO, nic, vtdParent, PASID, null);
        st.commands.clear();
        DeviceOps.attachPasid(st, TOPO, nic, 6, pri.id);
        assertEquals(List.of(new AttachDevice(NIC, 6, "c/" + pri.id)), payloads());
        DeviceOps.attachPasid(st, TOPO, nic, 6, other.id);                             // replace away
        assertEquals(List.of(new AttachDevice(NIC, 6, "c/" + other.id), new FaultDetach("c", f, NIC, 6)), payloads());
        DeviceOps.attachPasid(st, TOPO, nic, 6, pri.id);
        payloads();
        DeviceOps.detachPasid(st, TOPO, nic, 6);                                       // detach
        assertEquals(List.of(new AttachDevice(NIC, 6, null), new FaultDetach("c", f, NIC, 6)), payloads());
        DeviceOps.attachPasid(st, TOPO, nic, 6, pri.id);
        payloads();
        DeviceOps.unbind(st, TOPO, nic);                                               // unbind
        assertEquals(List.of(new AttachDevice(NIC, 6, null), new FaultDetach("c", f, NIC, 6)), payloads());
        assertEquals(0, users(pri.id));
    }

    @Test
    void pasidOnANestedHwptInTeardownAndParentUnmap() {
        int mem = dev.iommufd.ioas.memory.MemoryOps.create(st, 0x200000, 0x1000_0000L).id;
        NestedHwptObject n = NestingOps.allocNested(st, TOPO, nic, vtdParent, PASID, null);
        DeviceOps.attachPasid(st, TOPO, nic, 9, n.id);
        long iova = IoasOps.map(st, ioas, EnumSet.of(IoasOps.MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x2000, null).iova();
        st.commands.clear();
        IoasOps.unmap(st, ioas, iova, 0x2000);
        // the PASID caches stage-1 IOVAs of the nested domain: its whole ATC goes
        assertTrue(payloads().contains(new InvalidateAtc(NIC, 0, 0)));
        st.teardown();
        List<HwCommand> detach = st.commands.stream().filter(c -> c.payload().equals(new AttachDevice(NIC, 9, null))).toList();
        assertEquals(List.of(new HwCommand("dmar0", new AttachDevice(NIC, 9, null), false)), detach);
    }
}
