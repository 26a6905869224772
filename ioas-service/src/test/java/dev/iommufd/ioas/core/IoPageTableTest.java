package dev.iommufd.ioas.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The io page table core, with sweeps in the spirit of the kernel selftest. */
class IoPageTableTest {
    static final long PAGE = 4096;
    static final long MAX = -1L;

    static Errno errno(Runnable r) {
        return assertThrows(ErrnoException.class, r::run).errno();
    }

    /** Asserts the call fails with {@code e} and leaves areas, reserved/usable ranges untouched. */
    static void refused(IoPageTable t, Errno e, Runnable r) {
        List<Area> before = t.areas();
        List<IovaRange> usable = t.usableRanges();
        assertEquals(e, errno(r));
        assertEquals(before, t.areas());
        assertEquals(usable, t.usableRanges());
    }

    static Area fixed(IoPageTable t, long iova, long len) {
        return t.map(iova, len, true, true, 7, 0, 0);
    }

    @Test
    void mapArgumentErrors() {
        IoPageTable t = new IoPageTable();
        refused(t, Errno.EINVAL, () -> t.map(PAGE, PAGE, false, false, 1, 0, 0));
        refused(t, Errno.EINVAL, () -> t.map(PAGE, 0, true, false, 1, 0, 0));
        refused(t, Errno.EOVERFLOW, () -> t.map(MAX - PAGE + 2, PAGE, true, false, 1, 0, 0));
        fixed(t, MAX - PAGE + 1, PAGE); // exactly up to 2^64 − 1 is fine
        t.setAlignment(PAGE);
        refused(t, Errno.EINVAL, () -> t.map(PAGE + 1, PAGE, true, false, 1, 0, 0));
        refused(t, Errno.EINVAL, () -> t.map(PAGE, PAGE + 1, true, false, 1, 0, 0));
        refused(t, Errno.EINVAL, () -> t.map(null, 100, true, false, 1, 0, 0));
    }

    @Test
    void fixedMapOverlapIsEexistAndReservedIsEinval() {
        IoPageTable t = new IoPageTable();
        fixed(t, 0x10000, 0x4000);
        refused(t, Errno.EEXIST, () -> fixed(t, 0x13000, 0x2000));
        refused(t, Errno.EEXIST, () -> fixed(t, 0xf000, 0x2000));
        refused(t, Errno.EEXIST, () -> fixed(t, 0x10000, 0x4000));
        fixed(t, 0x14000, 0x1000); // adjacent is fine
        fixed(t, 0xf000, 0x1000);
        t.reserve("msi", List.of(new IovaRange(0xfee00000L, 0xfeefffffL)));
        refused(t, Errno.EINVAL, () -> fixed(t, 0xfeeff000L, 0x2000));
        refused(t, Errno.EINVAL, () -> fixed(t, 0xfedff000L, 0x2000));
        fixed(t, 0xfedff000L, 0x1000);
        fixed(t, 0xfef00000L, 0x1000);
    }

    /** Every (start, length) in a window against a fixed layout, compared with a brute-force model. */
    @Test
    void unmapSweep() {
        long[][] layout = {{2, 1}, {4, 3}, {7, 1}, {10, 2}}; // pages: [start, npages]
        for (long s = 0; s < 14; s++) {
            for (long n = 1; n <= 14 - s; n++) {
                IoPageTable t = new IoPageTable();
                for (long[] a : layout) {
                    fixed(t, a[0] * PAGE, a[1] * PAGE);
                }
                IovaRange r = IovaRange.ofLength(s * PAGE, n * PAGE);
                List<Area> inside = new ArrayList<>();
                boolean cut = false;
                for (Area a : t.areas()) {
                    if (r.contains(a.range())) {
                        inside.add(a);
                    } else if (r.intersects(a.range())) {
                        cut = true;
                    }
                }
                long iova = s * PAGE;
                long len = n * PAGE;
                if (cut || inside.isEmpty()) {
                    refused(t, Errno.ENOENT, () -> t.unmap(iova, len));
                } else {
                    List<Area> before = t.areas();
                    assertEquals(inside, t.unmap(iova, len), "s=" + s + " n=" + n);
                    List<Area> expect = new ArrayList<>(before);
                    expect.removeAll(inside);
                    assertEquals(expect, t.areas());
                }
            }
        }
    }

    @Test
    void unmapArgumentsAndUnmapAll() {
        IoPageTable t = new IoPageTable();
        assertEquals(List.of(), t.unmap(0, MAX)); // empty unmap-all is fine
        fixed(t, PAGE, PAGE);
        fixed(t, 8 * PAGE, 2 * PAGE);
        refused(t, Errno.EINVAL, () -> t.unmap(PAGE, 0));
        refused(t, Errno.EOVERFLOW, () -> t.unmap(PAGE, MAX));
        refused(t, Errno.ENOENT, () -> t.unmap(100 * PAGE, PAGE));
        assertEquals(2, t.unmap(0, MAX).size());
        assertEquals(List.of(), t.areas());
    }

    @Test
    void automaticIovaRules() {
        IoPageTable t = new IoPageTable();
        Area a = t.map(null, PAGE, true, false, 1, 0, 0);
        assertNotEquals(0, a.iova(), "IOVA 0 is never handed out");
        assertEquals(0, a.iova() % PAGE);
        // alignment = min(roundup_pow2(length), lowest set bit of the user VA), capped at 2 MiB
        Area b = t.map(null, 3 * PAGE, true, false, 1, 0, 0);
        assertEquals(0, b.iova() % (4 * PAGE));
        Area c = t.map(null, 64 * PAGE, true, false, 1, 0, 0x7f0000002000L);
        assertEquals(0, c.iova() % (2 * PAGE));
        Area d = t.map(null, 64L << 20, true, false, 1, 0, 0);
        assertEquals(0, d.iova() % (2L << 20));
        assertTrue(d.iova() % (64L << 20) != 0 || d.iova() != 0);
        // all distinct, none overlapping
        List<Area> all = t.areas();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                assertTrue(!all.get(i).range().intersects(all.get(j).range()));
            }
        }
    }

    @Test
    void automaticIovaStaysInAllowedAndOutOfReserved() {
        IoPageTable t = new IoPageTable();
        t.reserve("aperture", List.of(new IovaRange(1L << 48, MAX)));
        t.setAllowed(List.of(new IovaRange(0x100000, 0x103fff), new IovaRange(0x200000, 0x2fffff)));
        Area a = t.map(null, 0x4000, true, true, 1, 0, 0);
        assertEquals(0x100000, a.iova());
        Area b = t.map(null, 0x4000, true, true, 1, 0, 0);
        assertEquals(0x200000, b.iova());
        refused(t, Errno.ENOSPC, () -> t.map(null, 0x200000, true, true, 1, 0, 0));
        IoPageTable full = new IoPageTable();
        full.setAllowed(List.of(new IovaRange(0x1000, 0x1fff)));
        full.map(null, 0x1000, true, true, 1, 0, 0);
        refused(full, Errno.ENOSPC, () -> full.map(null, 0x1000, true, true, 1, 0, 0));
    }

    @Test
    void usableRangesAreAllowedMinusReserved() {
        IoPageTable t = new IoPageTable();
        assertEquals(List.of(IovaRange.ALL), t.usableRanges());
        t.reserve("hwpt", List.of(new IovaRange(1L << 48, MAX)));
        t.reserve("dev", List.of(new IovaRange(0xfee00000L, 0xfeefffffL)));
        assertEquals(List.of(new IovaRange(0, 0xfedfffffL), new IovaRange(0xfef00000L, (1L << 48) - 1)), t.usableRanges());
        t.release("hwpt");
        t.release("dev");
        assertEquals(List.of(IovaRange.ALL), t.usableRanges());
        t.setAllowed(List.of(new IovaRange(0x10000, 0x1ffff)));
        assertEquals(List.of(new IovaRange(0x10000, 0x1ffff)), t.usableRanges());
    }

    @Test
    void reservationsNeverTakeMappedOrAllowedIova() {
        IoPageTable t = new IoPageTable();
        fixed(t, 0xfee00000L, PAGE);
        refused(t, Errno.EADDRINUSE, () -> t.reserve("dev", List.of(new IovaRange(0xfee00000L, 0xfeefffffL))));
        assertTrue(!t.hasReservations("dev"));
        t.unmap(0, MAX);
        t.setAllowed(List.of(new IovaRange(0xfe000000L, 0xfeffffffL)));
        refused(t, Errno.EADDRINUSE, () -> t.reserve("dev", List.of(new IovaRange(0xfee00000L, 0xfeefffffL))));
        t.setAllowed(List.of());
        t.reserve("dev", List.of(new IovaRange(0xfee00000L, 0xfeefffffL)));
        refused(t, Errno.EADDRINUSE, () -> t.setAllowed(List.of(new IovaRange(0xfe000000L, 0xfeffffffL))));
    }

    @Test
    void allowedListValidation() {
        IoPageTable t = new IoPageTable();
        Supplier<List<IovaRange>> ok = () -> List.of(new IovaRange(0x1000, 0x1fff), new IovaRange(0x3000, 0x3fff));
        t.setAllowed(ok.get());
        assertThrows(ErrnoException.class, () -> t.setAllowed(List.of(new IovaRange(0x5000, 0x5000))));
        assertEquals(Errno.EINVAL, errno(() -> t.setAllowed(List.of(new IovaRange(0x1000, 0x2fff), new IovaRange(0x2000, 0x3fff)))));
        assertEquals(ok.get(), t.allowed());
        t.setAllowed(List.of());
        assertEquals(List.of(), t.allowed());
    }

    @Test
    void alignmentChangeRefusedWhileMisalignedMappingsExist() {
        IoPageTable t = new IoPageTable();
        fixed(t, 0x1001, 0x10);
        assertEquals(Errno.EADDRINUSE, errno(() -> t.setAlignment(PAGE)));
        assertEquals(1, t.alignment());
        t.unmap(0, MAX);
        t.setAlignment(PAGE);
        assertEquals(PAGE, t.alignment());
    }

    /** IOMMU_IOAS_COPY source: any sub-range fully covered, across adjacent areas; a hole is ENOENT. */
    @Test
    void coveringSweep() {
        IoPageTable t = new IoPageTable();
        t.map(2 * PAGE, 3 * PAGE, true, true, 1, 0x10000, 0); // pages 2..4
        t.map(5 * PAGE, 2 * PAGE, true, false, 2, 0, 0);      // pages 5..6
        t.map(9 * PAGE, 1 * PAGE, true, true, 3, 0, 0);       // page 9
        for (long s = 0; s < 11; s++) {
            for (long n = 1; n <= 11 - s; n++) {
                boolean covered = true;
                for (long p = s; p < s + n; p++) {
                    covered &= (p >= 2 && p <= 6) || p == 9;
                }
                long iova = s * PAGE;
                long len = n * PAGE;
                if (!covered) {
                    assertEquals(Errno.ENOENT, errno(() -> t.covering(iova, len)), "s=" + s + " n=" + n);
                    continue;
                }
                List<Area> slices = t.covering(iova, len);
                long sum = slices.stream().mapToLong(Area::length).sum();
                assertEquals(len, sum);
                assertEquals(iova, slices.get(0).iova());
                for (Area a : slices) {
                    if (a.memoryId() == 1) {
                        assertEquals(0x10000 + (a.iova() - 2 * PAGE), a.offset());
                    }
                }
            }
        }
        assertEquals(3, t.areas().size());
    }

    @Test
    void helpers() {
        assertEquals(1, IoPageTable.roundUpPow2(1));
        assertEquals(4096, IoPageTable.roundUpPow2(4095));
        assertEquals(4096, IoPageTable.roundUpPow2(4096));
        assertEquals(8192, IoPageTable.roundUpPow2(4097));
        assertEquals(1L << 63, IoPageTable.roundUpPow2(MAX));
        assertEquals(0x2000, IoPageTable.alignUp(0x1001, 0x1000));
        assertEquals(List.of(new IovaRange(0, 0x2fff)),
                IoPageTable.merged(List.of(new IovaRange(0x1000, 0x2fff), new IovaRange(0, 0xfff), new IovaRange(0x800, 0x1800))));
        assertTrue(IovaRange.wraps(MAX, 2));
        assertTrue(!IovaRange.wraps(MAX, 1));
    }
}
