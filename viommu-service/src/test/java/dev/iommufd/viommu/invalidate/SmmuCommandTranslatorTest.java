package dev.iommufd.viommu.invalidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.SmmuCommands.Cmd;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmmuCommandTranslatorTest {
    /** vSID 1 → SID 8, vSID 2 → SID 0x10. */
    static final SmmuCommandTranslator.SidMap SIDS = v -> Map.of(1L, 8, 2L, 0x10).get(v);

    static Cmd t(long w0, long w1) {
        return SmmuCommandTranslator.translate(w0, w1, SIDS);
    }

    @Test
    void tlbiKeepsAsidAndAddressAndLosesTheGuestVmid() {
        long asid = 0x42L << 48;
        long guestVmid = 0x77L << 32;
        assertEquals(new Cmd(0x12 | asid, 0xdead000L), t(0x12 | asid | guestVmid, 0xdead000L));
        assertEquals(new Cmd(0x13, 0x1000), t(0x13 | guestVmid, 0x1000));
        assertEquals(new Cmd(0x10, 0), t(0x10 | guestVmid, 0));
        assertEquals(new Cmd(0x11 | asid, 0), t(0x11 | asid | guestVmid, 0));
        assertEquals(new Cmd(0x10, 0), t(0x30 | (5L << 32), 0xffff));  // NSNH_ALL → NH_ALL of our VMID
    }

    @Test
    void sidCommandsGetThePhysicalSid() {
        assertEquals(new Cmd(0x40 | (8L << 32) | (1L << 12), 0x2000), t(0x40 | (1L << 32) | (1L << 12), 0x2000));
        assertEquals(new Cmd(0x05 | (0x10L << 32), 1), t(0x05 | (2L << 32), 1));
        assertEquals(new Cmd(0x06 | (8L << 32), 0), t(0x06 | (1L << 32), 0));
        assertEquals(Errno.EIO, assertThrows(ErrnoException.class, () -> t(0x40 | (3L << 32), 0)).errno());
    }

    @Test
    void everyOtherOpcodeIsEio() {
        java.util.Set<Integer> ok = java.util.Set.of(0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x30, 0x40);
        for (int op = 0; op < 256; op++) {
            long w0 = op | (1L << 32);
            if (ok.contains(op)) {
                t(w0, 0);
            } else {
                int o = op;
                assertEquals(Errno.EIO, assertThrows(ErrnoException.class, () -> t(o | (1L << 32), 0)).errno(), "op " + op);
            }
        }
    }

    @Test
    void decodeStopsAtTheFirstBadCommand() {
        Plan<Cmd> p = SmmuCommandTranslator.decode(VtdInvalidationTest.json("""
                [{"cmd":["0x11","0"]},{"cmd":["0x100000040","0x0"]},{"cmd":["0x20","0"]},{"cmd":["0x11","0"]}]"""), SIDS);
        assertEquals(2, p.items().size());
        assertEquals(new Cmd(0x40 | (8L << 32), 0), p.items().get(1));
        assertEquals(Errno.EIO, p.stop().errno());
        Plan<Cmd> q = SmmuCommandTranslator.decode(VtdInvalidationTest.json("[{\"cmd\":[\"0x11\"]}]"), SIDS);
        assertEquals(Errno.EINVAL, q.stop().errno());
        assertEquals(0, q.items().size());
        assertNull(SmmuCommandTranslator.decode(VtdInvalidationTest.json("[]"), SIDS).stop());
    }
}
