package dev.iommufd.ioas.hwpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.context.ContextState;
import dev.iommufd.ioas.device.DeviceOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.ioas.IoasOps;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DirtyTrackingTest {
    static Errno errno(Runnable r) {
        return assertThrows(ErrnoException.class, r::run).errno();
    }

    @Test
    void argumentRules() {
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0, 0x1000, 0x800, false)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0, 0x1000, 0x3000, false)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0x800, 0x1000, 0x1000, false)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0, 0x1800, 0x1000, false)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0, 0, 0x1000, false)));
        assertEquals(Errno.EOVERFLOW, errno(() -> DirtyTracking.query(-0x1000L, 0x2000, 0x1000, false)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.query(0, (1L << 20) * 0x1000 + 0x1000, 0x1000, false)));
        DirtyTracking.query(0, 0x200000, 0x200000, true);
    }

    @Test
    void bitmapIsLittleEndianWordsOneBitPerPage() {
        DirtyTracking.Query q = DirtyTracking.query(0x100000, 0x1000L * 70, 0x1000, false);
        DirtyTracking.Bitmap b = DirtyTracking.bitmap(q, List.of(0x100000L, 0x102000L, 0x100000L + 0x1000L * 65, 0x5000L));
        byte[] raw = Base64.getDecoder().decode(b.base64());
        assertEquals(16, raw.length);
        assertEquals(0b101, raw[0]);
        assertEquals(0b10, raw[8]);
        assertEquals(3, b.dirtyPages());
        // 2 MiB pages: any dirty 4 KiB page marks its 2 MiB bit
        DirtyTracking.Bitmap big = DirtyTracking.bitmap(DirtyTracking.query(0, 0x400000, 0x200000, false), List.of(0x201000L));
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 0, 0, 0}, Base64.getDecoder().decode(big.base64()));
    }

    @Test
    void onlyDirtyTrackingHwptsAndOnlyWhenEnabled() {
        ContextState st = new ContextState();
        st.contextId = "c";
        Topology topo = Topology.defaults();
        int ioas = IoasOps.create(st).id;
        int nic = DeviceOps.bind(st, topo, "0000:03:00.0").id;
        HwptPagingObject plain = HwptOps.alloc(st, topo, nic, ioas, Set.of(), null);
        HwptPagingObject dirty = HwptOps.alloc(st, topo, nic, ioas, EnumSet.of(Flag.DIRTY_TRACKING), null);
        DirtyTracking.Query q = DirtyTracking.query(0, 0x1000, 0x1000, false);
        assertEquals(Errno.EOPNOTSUPP, errno(() -> DirtyTracking.set(st, plain, true)));
        assertEquals(Errno.EOPNOTSUPP, errno(() -> DirtyTracking.check(st, plain, q)));
        assertEquals(Errno.EINVAL, errno(() -> DirtyTracking.check(st, dirty, q)));
        DirtyTracking.set(st, dirty, true);
        assertEquals("c/" + dirty.id, DirtyTracking.check(st, dirty, q).command().domain());
    }
}
