package dev.iommufd.fault.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.events.PageRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A page request becomes the fault userspace reads (struct iommu_hwpt_pgfault), every flag combination. */
class FaultTest {
    static PageRequest req(Integer pasid, boolean r, boolean w, boolean x, boolean p, long addr, boolean last) {
        return new PageRequest("dmar0", "0000:04:00.0", pasid, 0x1ff, r, w, x, p, addr, last, "ctx/5", 3);
    }

    @Test
    void everyPermissionAndFlagCombination() {
        for (int bits = 0; bits < 64; bits++) {
            boolean r = (bits & 1) != 0;
            boolean w = (bits & 2) != 0;
            boolean x = (bits & 4) != 0;
            boolean p = (bits & 8) != 0;
            boolean last = (bits & 16) != 0;
            Integer pasid = (bits & 32) != 0 ? 0xfffff : null;
            Fault f = Fault.of(req(pasid, r, w, x, p, 0x7f12_3456_7abcL, last), 42);
            List<String> perm = new ArrayList<>();
            if (r) {
                perm.add("READ");
            }
            if (w) {
                perm.add("WRITE");
            }
            if (x) {
                perm.add("EXEC");
            }
            if (p) {
                perm.add("PRIV");
            }
            List<String> flags = new ArrayList<>();
            if (pasid != null) {
                flags.add("PASID_VALID");
            }
            if (last) {
                flags.add("LAST_PAGE");
            }
            assertEquals(new Fault(flags, 42, pasid == null ? 0 : 0xfffff, 0x1ff, perm, U64.of(0x7f12_3456_7000L), U64.of(0x1000)), f,
                    "bits " + bits);
        }
    }

    @Test
    void addressIsThePageEvenAtTheTopOfTheSpace() {
        assertEquals(U64.of(0xffff_ffff_ffff_f000L), Fault.of(req(null, true, false, false, false, -1L, true), 1).addr());
        assertEquals(U64.ZERO, Fault.of(req(null, true, false, false, false, 0xfff, true), 1).addr());
        assertEquals("0x1000", Fault.of(req(null, true, false, false, false, 0x1000, true), 1).addr().hex());
    }

    @Test
    void stopMarkerIsLastWithoutReadOrWrite() {
        assertTrue(Fault.isStopMarker(req(3, false, false, false, false, 0, true)));
        assertFalse(Fault.isStopMarker(req(3, false, false, false, false, 0, false)), "not last: an ordinary (odd) request");
        assertFalse(Fault.isStopMarker(req(3, true, false, false, false, 0, true)));
        assertFalse(Fault.isStopMarker(req(3, false, true, false, false, 0, true)));
    }

    @Test
    void groupKeySeparatesPasidAndNoPasid() {
        PageRequest a = req(null, true, false, false, false, 0, false);
        PageRequest b = req(0, true, false, false, false, 0, false);
        assertNotEquals(GroupKey.of("c", a), GroupKey.of("c", b), "PASID 0 is not the same as no PASID");
        assertEquals(new GroupKey("c", 3, "0000:04:00.0", null, 0x1ff), GroupKey.of("c", a));
        assertNotEquals(GroupKey.of("c", a), GroupKey.of("d", a));
    }

    @Test
    void autoInvalidTags() {
        assertEquals("context-closed", AutoInvalid.CONTEXT_CLOSED.tag());
        assertEquals("detach", AutoInvalid.DETACH.tag());
        assertEquals("no-queue", AutoInvalid.NO_QUEUE.tag());
    }
}
