package dev.iommufd.ioas.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.core.IoPageTable;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.ioas.IoasObject;
import dev.iommufd.ioas.ioas.IoasOps;
import dev.iommufd.ioas.ioas.IoasOps.MapFlag;
import dev.iommufd.ioas.memory.MemoryOps;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Devices, auto and explicit paging HWPTs, and what they do to an IOAS — pure logic, no framework. */
class AttachRulesTest {
    static final Topology TOPO = Topology.defaults();
    static final String NIC = "0000:03:00.0";       // dmar0, PASID, dirty
    static final String ACCEL = "0000:04:00.0";     // dmar0
    static final String STORAGE = "0000:05:00.0";   // dmar0, no PASID, no dirty
    static final String GRAPHICS = "0000:00:02.0";  // dmar1: no snoop control
    static final String SMMU_DEV = "0001:00:01.0";  // smmu0
    static final long MAX = -1L;

    final ContextState st = new ContextState();

    static Errno errno(Runnable r) {
        return assertThrows(ErrnoException.class, r::run).errno();
    }

    /** Runs {@code r} on a copy and asserts it failed with {@code e}; the copy stands for the rolled-back transaction. */
    void refused(Errno e, java.util.function.Consumer<ContextState> r) {
        String before = ContextStore.encode(st);
        ContextState copy = copy(st);
        assertEquals(e, errno(() -> r.accept(copy)));
        assertEquals(before, ContextStore.encode(st));
    }

    static ContextState copy(ContextState s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(ContextStore.encode(s), ContextState.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    List<IovaRange> usable(int ioas) {
        return IoPageTable.of(IoasOps.get(st, ioas).table).usableRanges();
    }

    @Test
    void bindRules() {
        DeviceObject d = DeviceOps.bind(st, TOPO, NIC);
        assertEquals("dmar0", d.iommu);
        assertEquals(Errno.ENODEV, errno(() -> DeviceOps.bind(st, TOPO, "0000:99:00.0")));
        assertEquals(Errno.EBUSY, errno(() -> DeviceOps.bind(st, TOPO, NIC)));
        DeviceOps.unbind(st, TOPO, d.id);
        DeviceOps.bind(st, TOPO, NIC);
    }

    @Test
    void autoDomainIsSharedByCompatibleDevicesAndFreedWithTheLast() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int accel = DeviceOps.bind(st, TOPO, ACCEL).id;
        HwptPagingObject a = DeviceOps.attach(st, TOPO, nic, ioas);
        assertTrue(a.auto);
        assertEquals(a.id, DeviceOps.attach(st, TOPO, accel, ioas).id);
        assertEquals(2, a.users);
        assertEquals(List.of(a.id), List.copyOf(IoasOps.get(st, ioas).hwpts));
        // aperture and the MSI window are taken away, alignment is the page size
        assertEquals(List.of(new IovaRange(0, 0xfedfffffL), new IovaRange(0xfef00000L, (1L << 48) - 1)), usable(ioas));
        assertEquals(4096, IoasOps.get(st, ioas).table.alignment());
        assertEquals(Errno.EBUSY, errno(() -> st.destroy(ioas)));
        DeviceOps.detach(st, TOPO, nic);
        assertEquals(1, HwptOps.get(st, a.id).users);
        DeviceOps.detach(st, TOPO, accel);
        assertNull(st.find(a.id), "auto HWPT goes with its last device");
        assertEquals(List.of(IovaRange.ALL), usable(ioas));
        assertEquals(1, IoasOps.get(st, ioas).table.alignment());
        st.destroy(ioas);
    }

    @Test
    void deviceThatCannotEnforceCoherencyGetsItsOwnAutoDomain() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int gfx = DeviceOps.bind(st, TOPO, GRAPHICS).id;
        int smmu = DeviceOps.bind(st, TOPO, SMMU_DEV).id;
        HwptPagingObject a = DeviceOps.attach(st, TOPO, nic, ioas);
        HwptPagingObject b = DeviceOps.attach(st, TOPO, gfx, ioas);
        HwptPagingObject c = DeviceOps.attach(st, TOPO, smmu, ioas);
        assertNotEquals(a.id, b.id);
        assertNotEquals(a.id, c.id);
        assertNotEquals(b.id, c.id);
        // explicit attach of an incompatible device to a domain is EINVAL
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, gfx, a.id));
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, smmu, a.id));
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, nic, c.id));
        // the non-enforcing domain accepts a device that could enforce
        assertEquals(b.id, DeviceOps.attach(st, TOPO, nic, b.id).id);
        assertNull(st.find(a.id), "replace away from the last user frees the old auto domain");
    }

    @Test
    void hwptAllocRules() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int storage = DeviceOps.bind(st, TOPO, STORAGE).id;
        int gfx = DeviceOps.bind(st, TOPO, GRAPHICS).id;
        refused(Errno.ENOENT, s -> HwptOps.alloc(s, TOPO, 999, ioas, Set.of(), null));
        refused(Errno.EINVAL, s -> HwptOps.alloc(s, TOPO, nic, 999, Set.of(), null));
        refused(Errno.EINVAL, s -> HwptOps.alloc(s, TOPO, nic, nic, Set.of(), null));
        refused(Errno.EOPNOTSUPP, s -> HwptOps.alloc(s, TOPO, nic, ioas, EnumSet.of(Flag.NEST_PARENT, Flag.FAULT_ID_VALID), 1));
        refused(Errno.EOPNOTSUPP, s -> HwptOps.alloc(s, TOPO, gfx, ioas, EnumSet.of(Flag.NEST_PARENT), null));
        refused(Errno.EOPNOTSUPP, s -> HwptOps.alloc(s, TOPO, storage, ioas, EnumSet.of(Flag.DIRTY_TRACKING), null));
        refused(Errno.EOPNOTSUPP, s -> HwptOps.alloc(s, TOPO, gfx, ioas, EnumSet.of(Flag.PASID), null));
        refused(Errno.ENOENT, s -> HwptOps.alloc(s, TOPO, nic, ioas, EnumSet.of(Flag.FAULT_ID_VALID), 999));
        HwptPagingObject dirty = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.of(Flag.DIRTY_TRACKING), null);
        assertTrue(!dirty.auto);
        // storage has no dirty tracking: attaching it to a DIRTY_TRACKING domain is EINVAL
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, storage, dirty.id));
        // an explicit HWPT stays after its last device detaches; destroy is EBUSY while attached
        DeviceOps.attach(st, TOPO, nic, dirty.id);
        refused(Errno.EBUSY, s -> HwptOps.destroy(s, HwptOps.get(s, dirty.id)));
        DeviceOps.detach(st, TOPO, nic);
        assertEquals(dirty, HwptOps.get(st, dirty.id));
        // auto-attach to an IOAS never picks an explicit HWPT
        HwptPagingObject auto = DeviceOps.attach(st, TOPO, nic, ioas);
        assertNotEquals(dirty.id, auto.id);
        HwptOps.destroy(st, HwptOps.get(st, dirty.id));
        assertEquals(List.of(auto.id), List.copyOf(IoasOps.get(st, ioas).hwpts));
    }

    @Test
    void attachErrnos() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int mem = MemoryOps.create(st, 0x10000, 0x100000000L).id;
        refused(Errno.ENOENT, s -> DeviceOps.attach(s, TOPO, nic, 999));
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, nic, mem));
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, nic, nic));
        refused(Errno.ENOENT, s -> DeviceOps.attach(s, TOPO, 999, ioas));
    }

    @Test
    void reservedRegionsAndApertureNeverTakeMappedOrAllowedIova() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int mem = MemoryOps.create(st, 0x200000, 0x100000000L).id;
        IoasOps.map(st, ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x1000, 0xfee00000L);
        refused(Errno.EADDRINUSE, s -> DeviceOps.attach(s, TOPO, nic, ioas));
        IoasOps.unmap(st, ioas, 0, MAX);
        IoasOps.map(st, ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x1000, 1L << 50);
        refused(Errno.EADDRINUSE, s -> DeviceOps.attach(s, TOPO, nic, ioas));
        IoasOps.unmap(st, ioas, 0, MAX);
        IoasOps.setAllowed(st, ioas, List.of(new IovaRange(0xfe000000L, 0xfeffffffL)));
        refused(Errno.EADDRINUSE, s -> DeviceOps.attach(s, TOPO, nic, ioas));
        IoasOps.setAllowed(st, ioas, List.of());
        DeviceOps.attach(st, TOPO, nic, ioas);
        // later allowed ranges and fixed maps must respect the reservations
        assertEquals(Errno.EADDRINUSE, errno(() -> IoasOps.setAllowed(copy(st), ioas, List.of(new IovaRange(0xfe000000L, 0xfeffffffL)))));
        assertEquals(Errno.EINVAL, errno(() -> IoasOps.map(copy(st), ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE),
                new IoasOps.Source(null, mem, 0L), 0x1000, 0xfee00000L)));
    }

    @Test
    void aPasidAttachReservesNoRegions() {
        // Linux reserves the device's regions (MSI window) for the RID only (attach_resv)
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int mem = MemoryOps.create(st, 0x200000, 0x100000000L).id;
        HwptPagingObject h = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.of(Flag.PASID), null);
        IoasOps.map(st, ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x1000, 0xfee00000L);
        DeviceOps.attachPasid(st, TOPO, nic, 3, h.id);  // the mapping over the MSI window is no conflict
        assertEquals(h.id, DeviceOps.get(st, nic).pasids.get(3));
        refused(Errno.EADDRINUSE, s -> DeviceOps.attach(s, TOPO, nic, h.id)); // the RID still reserves them
        IoasOps.unmap(st, ioas, 0, MAX);
        DeviceOps.attach(st, TOPO, nic, h.id);
        DeviceOps.detachPasid(st, TOPO, nic, 3);        // the RID's reservation stays
        assertEquals(Errno.EINVAL, errno(() -> IoasOps.map(copy(st), ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE),
                new IoasOps.Source(null, mem, 0L), 0x1000, 0xfee00000L)));
        DeviceOps.detach(st, TOPO, nic);
        IoasOps.map(st, ioas, EnumSet.of(MapFlag.FIXED_IOVA, MapFlag.READABLE), new IoasOps.Source(null, mem, 0L), 0x1000, 0xfee00000L);
    }

    @Test
    void pasidRules() {
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, TOPO, NIC).id;
        int storage = DeviceOps.bind(st, TOPO, STORAGE).id;
        HwptPagingObject plain = HwptOps.alloc(st, TOPO, nic, ioas, Set.of(), null);
        HwptPagingObject pasidCapable = HwptOps.alloc(st, TOPO, nic, ioas, EnumSet.of(Flag.PASID), null);
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, ioas));            // IOAS id
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, plain.id));        // not PASID
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1 << 20, pasidCapable.id)); // beyond 20 bits
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, storage, 1, pasidCapable.id));  // no PASID cap
        refused(Errno.ENOENT, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, 999));
        DeviceOps.attach(st, TOPO, nic, plain.id);
        refused(Errno.EINVAL, s -> DeviceOps.attachPasid(s, TOPO, nic, 1, pasidCapable.id));  // RID's HWPT lacks PASID
        DeviceOps.attach(st, TOPO, nic, pasidCapable.id);
        DeviceOps.attachPasid(st, TOPO, nic, 1, pasidCapable.id);
        assertEquals(pasidCapable.id, DeviceOps.get(st, nic).pasids.get(1));
        assertEquals(2, HwptOps.get(st, pasidCapable.id).users);
        refused(Errno.EINVAL, s -> DeviceOps.attach(s, TOPO, nic, plain.id));  // RID replace to non-PASID while PASIDs attached
        DeviceOps.detachPasid(st, TOPO, nic, 7);  // never attached: fine
        DeviceOps.unbind(st, TOPO, nic);
        assertEquals(0, HwptOps.get(st, pasidCapable.id).users);
        assertTrue(!IoPageTable.of(IoasOps.get(st, ioas).table).hasReservations("dev:" + nic), "unbind releases the MSI window");
    }

    @Test
    void mapUnmapCopyAndMemoryLifetime() {
        int ioas = IoasOps.create(st).id;
        int ioas2 = IoasOps.create(st).id;
        var mem = MemoryOps.create(st, 0x400000, 0x100000000L);
        assertEquals(0, mem.userVa % (2L << 20));
        var a = IoasOps.map(st, ioas, EnumSet.of(MapFlag.READABLE), new IoasOps.Source(mem.userVa + 0x1000, null, null), 0x2000, null);
        assertEquals(0x1000, a.offset());
        assertEquals(1, mem.users);
        refused(Errno.EBUSY, s -> s.destroy(mem.id));
        refused(Errno.EFAULT, s -> IoasOps.map(s, ioas, EnumSet.of(MapFlag.READABLE), new IoasOps.Source(mem.userVa + 0x3ff000, null, null), 0x2000, null));
        refused(Errno.EINVAL, s -> IoasOps.map(s, ioas, EnumSet.of(MapFlag.READABLE), new IoasOps.Source(null, mem.id, 0x3ff000L), 0x2000, null));
        refused(Errno.ENOENT, s -> IoasOps.map(s, ioas, EnumSet.of(MapFlag.READABLE), new IoasOps.Source(null, 999, 0L), 0x1000, null));
        refused(Errno.EOVERFLOW, s -> IoasOps.map(s, ioas, EnumSet.of(MapFlag.READABLE, MapFlag.FIXED_IOVA), new IoasOps.Source(null, mem.id, 0L), 0x2000, MAX - 0xfff));
        refused(Errno.EPERM, s -> IoasOps.copy(s, ioas2, ioas, a.iova(), 0x1000, null, EnumSet.of(MapFlag.READABLE, MapFlag.WRITEABLE)));
        refused(Errno.ENOENT, s -> IoasOps.copy(s, ioas2, ioas, a.iova(), 0x3000, null, EnumSet.of(MapFlag.READABLE)));
        var copies = IoasOps.copy(st, ioas2, ioas, a.iova() + 0x1000, 0x1000, null, EnumSet.of(MapFlag.READABLE));
        assertEquals(0x2000, copies.get(0).offset());
        assertEquals(2, mem.users);
        assertEquals(1, IoasOps.unmap(st, ioas2, 0, MAX).size());
        assertEquals(1, IoasOps.unmap(st, ioas, a.iova(), 0x2000).size());
        assertEquals(0, mem.users);
        st.destroy(mem.id);
    }

    /** FAULT_DETACH payloads this change queued (they go to iommufd.contexts, keyed by the context). */
    List<dev.iommufd.contract.events.FaultDetach> faultDetaches() {
        List<dev.iommufd.contract.events.FaultDetach> out = new java.util.ArrayList<>();
        st.commands.forEach(c -> {
            if (c.payload() instanceof dev.iommufd.contract.events.FaultDetach f) {
                assertEquals(st.contextId, c.key(), "keyed by the context, like CONTEXT_CLOSED");
                out.add(f);
            }
        });
        st.commands.clear();
        return out;
    }

    @Test
    void leavingAFaultCapableHwptTellsFaultServiceEveryWay() {
        st.contextId = "ctx-f";
        var fault = new dev.iommufd.ioas.context.ExternalObject();
        fault.kind = dev.iommufd.ioas.context.ObjectType.FAULT;
        int f = st.add(fault).id;
        int ioas = IoasOps.create(st).id;
        int accel = DeviceOps.bind(st, TOPO, ACCEL).id;
        HwptPagingObject pri = HwptOps.alloc(st, TOPO, accel, ioas, EnumSet.of(Flag.FAULT_ID_VALID, Flag.PASID), f);
        HwptPagingObject plain = HwptOps.alloc(st, TOPO, accel, ioas, EnumSet.of(Flag.PASID), null);
        // the hardware learns which domains deliver page requests, and to which queue
        var creates = st.commands.stream().map(c -> c.payload())
                .filter(p -> p instanceof dev.iommufd.contract.events.DomainCreate).map(p -> (dev.iommufd.contract.events.DomainCreate) p).toList();
        assertEquals(List.of(f, -1), creates.stream().map(c -> c.faultId() == null ? -1 : c.faultId()).toList());
        st.commands.clear();

        DeviceOps.attach(st, TOPO, accel, pri.id);
        DeviceOps.attach(st, TOPO, accel, pri.id);                  // same HWPT again: nothing leaves it
        assertEquals(List.of(), faultDetaches());
        DeviceOps.attach(st, TOPO, accel, plain.id);                // replace away
        assertEquals(List.of(new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, null)), faultDetaches());
        DeviceOps.attach(st, TOPO, accel, pri.id);
        DeviceOps.detach(st, TOPO, accel);                          // detach
        assertEquals(List.of(new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, null)), faultDetaches());
        DeviceOps.detach(st, TOPO, accel);                          // nothing attached: nothing to tell
        DeviceOps.attach(st, TOPO, accel, plain.id);
        DeviceOps.detach(st, TOPO, accel);                          // a HWPT without a queue: nothing to tell
        assertEquals(List.of(), faultDetaches());

        DeviceOps.attachPasid(st, TOPO, accel, 5, pri.id);
        DeviceOps.attachPasid(st, TOPO, accel, 5, plain.id);        // PASID replace away
        assertEquals(List.of(new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, 5)), faultDetaches());
        DeviceOps.attachPasid(st, TOPO, accel, 5, pri.id);
        DeviceOps.detachPasid(st, TOPO, accel, 5);                  // PASID detach
        assertEquals(List.of(new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, 5)), faultDetaches());

        DeviceOps.attach(st, TOPO, accel, pri.id);
        DeviceOps.attachPasid(st, TOPO, accel, 7, pri.id);
        DeviceOps.attachPasid(st, TOPO, accel, 8, plain.id);
        st.commands.clear();
        DeviceOps.unbind(st, TOPO, accel);                          // unbind: every attachment of the queue's HWPT
        assertEquals(Set.of(new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, 7),
                new dev.iommufd.contract.events.FaultDetach("ctx-f", f, ACCEL, null)), Set.copyOf(faultDetaches()));

        // a context event needs no hardware sync: only IOMMU queues are synced
        int again = DeviceOps.bind(st, TOPO, ACCEL).id;
        DeviceOps.attach(st, TOPO, again, pri.id);
        st.commands.clear();
        DeviceOps.detach(st, TOPO, again);
        assertEquals(Set.of("dmar0"), st.queuesUsed());
        // a refused replace queues nothing and changes nothing
        refused(Errno.ENOENT, s -> DeviceOps.attach(s, TOPO, again, 999));
    }
}
