package dev.iommufd.sim.walk;

import static dev.iommufd.sim.walk.VtdFirstLevelWalker.A;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.D;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.EA;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.P;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.PS;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.RW;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.US;
import static dev.iommufd.sim.walk.VtdFirstLevelWalker.XD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.sim.memory.HostMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VtdFirstLevelWalkerTest {
    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;
    static final long SZ_1G = 1L << 30;
    static final long USER_RW = P | RW | US;
    static final long DATA_GPA = 0x4000_0000L; // 1 GiB of guest RAM for data
    static final long DATA_HOST = 0x1_0000_0000L;
    static final long IOVA = 0x0000_1234_5678_9000L;

    final GuestRam ram = new GuestRam(0x8000_0000L).ram(DATA_GPA, SZ_1G, DATA_HOST, true);
    final X86Tables pt = new X86Tables(ram, 4);

    WalkResult walk(VtdFirstLevelWalker.Config cfg, Access a) {
        return new VtdFirstLevelWalker(ram.memory(), 48).walk(cfg, a);
    }

    WalkResult walk(Access a) {
        return walk(pt.config(), a);
    }

    static WalkResult.Translated ok(WalkResult r) {
        return assertInstanceOf(WalkResult.Translated.class, r, () -> "expected a translation, got " + r);
    }

    static WalkResult.Fault fault(WalkResult r, int code) {
        WalkResult.Fault f = assertInstanceOf(WalkResult.Fault.class, r, () -> "expected a fault, got " + r);
        assertEquals(code, f.code(), () -> "fault " + f);
        assertEquals("VTD", f.arch());
        return f;
    }

    @Test
    void fourLevelTableTranslates4kPage() {
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, USER_RW);
        WalkResult.Translated t = ok(walk(Access.read(IOVA + 0x123)));
        assertEquals(DATA_HOST + 0x5123, t.hostPa());
        assertEquals(DATA_GPA + 0x5123, t.ipa());
        assertEquals(SZ_4K, t.pageSize());
        assertEquals(1, t.level());
        assertTrue(t.read() && t.write());
        assertNull(t.asid());
    }

    @Test
    void psInPdeMaps2mLeaf() {
        pt.map(0x4020_0000L, DATA_GPA + SZ_2M, SZ_2M, USER_RW);
        WalkResult.Translated t = ok(walk(Access.write(0x4020_0000L + 0x1_2345)));
        assertEquals(DATA_HOST + SZ_2M + 0x1_2345, t.hostPa());
        assertEquals(SZ_2M, t.pageSize());
        assertEquals(2, t.level());
    }

    @Test
    void psInPdpeMaps1gLeaf() {
        pt.map(0x80_0000_0000L, DATA_GPA, SZ_1G, USER_RW);
        WalkResult.Translated t = ok(walk(Access.read(0x80_0000_0000L + 0x3ff0_0008L)));
        assertEquals(DATA_HOST + 0x3ff0_0008L, t.hostPa());
        assertEquals(SZ_1G, t.pageSize());
        assertEquals(3, t.level());
    }

    @Test
    void fiveLevelTableUsesBits56To48() {
        X86Tables pt5 = new X86Tables(ram, 5);
        long iova = 0x00aa_0000_0000_0000L | 0x7000;
        pt5.map(iova, DATA_GPA + 0x9000, SZ_4K, USER_RW);
        assertEquals(DATA_HOST + 0x9010, ok(walk(pt5.config(), Access.read(iova + 0x10))).hostPa());
        // the same low 48 bits under another PML5 index are not mapped
        fault(walk(pt5.config(), Access.read(iova & 0xffff_ffff_ffffL)), 0x71);
    }

    @Test
    void upperCanonicalHalfTranslates() {
        long iova = 0xffff_8000_0000_0000L;
        pt.map(iova, DATA_GPA, SZ_4K, USER_RW);
        assertEquals(DATA_HOST, ok(walk(Access.read(iova))).hostPa());
    }

    @Test
    void nonCanonicalIovaFaults() {
        WalkResult.Fault f = fault(walk(Access.read(0x0000_8000_0000_0000L)), 0x80);
        assertEquals(0x0000_8000_0000_0000L, f.address());
        assertFalse(f.stage2());
        X86Tables pt5 = new X86Tables(ram, 5);
        fault(walk(pt5.config(), Access.read(0x0100_0000_0000_0000L)), 0x80);
        fault(walk(pt5.config(), Access.read(0xff00_0000_0000_0000L)), 0x71); // canonical for 57 bits
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 3, 2, 1})
    void nonPresentEntryAtEachLevelFaults(int level) {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        pt.set(IOVA, level, pt.get(IOVA, level) & ~P);
        WalkResult.Fault f = fault(walk(Access.read(IOVA)), 0x71);
        assertEquals(pt.entry(IOVA, level), f.address2());
        assertTrue(f.recorded());
    }

    @Test
    void writeToReadOnlyLeafFaultsButReadSucceeds() {
        pt.map(IOVA, DATA_GPA, SZ_4K, P | US);
        fault(walk(Access.write(IOVA)), 0x85);
        WalkResult.Translated t = ok(walk(Access.read(IOVA)));
        assertFalse(t.write());
    }

    @Test
    void readOnlyUpperLevelDeniesWritesBelowIt() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        pt.set(IOVA, 3, pt.get(IOVA, 3) & ~RW);
        fault(walk(Access.write(IOVA)), 0x85);
        assertFalse(ok(walk(Access.read(IOVA))).write());
    }

    @Test
    void userRequestToSupervisorEntryFaults() {
        pt.map(IOVA, DATA_GPA, SZ_4K, P | RW);
        fault(walk(Access.read(IOVA)), 0x81);
    }

    @Test
    void supervisorRequestNeedsSre() {
        pt.map(IOVA, DATA_GPA, SZ_4K, P | RW);
        fault(walk(Access.read(IOVA).asPrivileged()), 0x5d);
        var sre = new VtdFirstLevelWalker.Config(pt.root, 48, true, false, true);
        assertEquals(DATA_HOST, ok(walk(sre, Access.read(IOVA).asPrivileged())).hostPa());
    }

    @Test
    void supervisorWriteToReadOnlyFaultsOnlyWithWpe() {
        pt.map(IOVA, DATA_GPA, SZ_4K, P);
        var wpe = new VtdFirstLevelWalker.Config(pt.root, 48, true, false, true);
        var noWpe = new VtdFirstLevelWalker.Config(pt.root, 48, true, false, false);
        fault(walk(wpe, Access.write(IOVA).asPrivileged()), 0x85);
        assertTrue(ok(walk(noWpe, Access.write(IOVA).asPrivileged())).write());
    }

    @Test
    void addressBitAboveOutputWidthIsReserved() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        pt.set(IOVA, 2, pt.get(IOVA, 2) | (1L << 50));
        fault(walk(Access.read(IOVA)), 0x72);
    }

    @Test
    void psInPml4eIsReserved() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        pt.set(IOVA, 4, pt.get(IOVA, 4) | PS);
        fault(walk(Access.read(IOVA)), 0x72);
    }

    @Test
    void psInPml5eIsReserved() {
        X86Tables pt5 = new X86Tables(ram, 5);
        pt5.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        pt5.set(IOVA, 5, pt5.get(IOVA, 5) | PS);
        fault(walk(pt5.config(), Access.read(IOVA)), 0x72);
    }

    @Test
    void lowBitsOfLargeLeafAddressAreReserved() {
        pt.map(0x4020_0000L, DATA_GPA + SZ_2M, SZ_2M, USER_RW);
        pt.set(0x4020_0000L, 2, pt.get(0x4020_0000L, 2) | (1L << 13));
        fault(walk(Access.read(0x4020_0000L)), 0x72);
        pt.map(0x80_0000_0000L, DATA_GPA, SZ_1G, USER_RW);
        pt.set(0x80_0000_0000L, 3, pt.get(0x80_0000_0000L, 3) | (1L << 29));
        fault(walk(Access.read(0x80_0000_0000L)), 0x72);
    }

    @Test
    void xdPatAndIgnoredBitsDoNotFault() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW | XD | (0x7fL << 52) | (1L << 7)); // bit 7 of a PTE is PAT
        pt.set(IOVA, 2, pt.get(IOVA, 2) | XD | (0x7fL << 52));
        assertEquals(DATA_HOST, ok(walk(Access.read(IOVA))).hostPa());
    }

    @Test
    void accessedBitsAreSetOnEveryLevelAndDirtyOnWrittenLeaf() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        ok(walk(Access.read(IOVA)));
        for (int level = 4; level >= 1; level--) {
            assertEquals(A, pt.get(IOVA, level) & (A | D | EA), "level " + level);
        }
        ok(walk(Access.write(IOVA)));
        assertEquals(A | D, pt.get(IOVA, 1) & (A | D));
        assertEquals(0, pt.get(IOVA, 2) & D, "D is set in the leaf only");
    }

    @Test
    void eafeAlsoSetsExtendedAccessedBit() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        ok(walk(new VtdFirstLevelWalker.Config(pt.root, 48, false, true, true), Access.read(IOVA)));
        assertEquals(A | EA, pt.get(IOVA, 3) & (A | EA));
    }

    @Test
    void configAcceptsOnly48Or57() {
        assertThrows(IllegalArgumentException.class, () -> new VtdFirstLevelWalker.Config(0, 39, false, false, false));
    }

    // ---- nested: every table pointer goes through the stage-2 parent ----

    @Test
    void sameGuestTableAtDifferentHostAddressesTranslatesTheSame() {
        GuestRam other = new GuestRam(0x7_0000_0000L).ram(DATA_GPA, SZ_1G, DATA_HOST, true);
        X86Tables pt2 = new X86Tables(other, 4);
        pt.map(IOVA, DATA_GPA + 0x3000, SZ_4K, USER_RW);
        pt2.map(IOVA, DATA_GPA + 0x3000, SZ_4K, USER_RW);
        assertEquals(pt.root, pt2.root);
        assertTrue(ram.hostOf(pt.root) != other.hostOf(pt2.root));
        WalkResult a = walk(Access.read(IOVA + 8));
        WalkResult b = new VtdFirstLevelWalker(other.memory(), 48).walk(pt2.config(), Access.read(IOVA + 8));
        assertEquals(a, b);
        assertEquals(DATA_HOST + 0x3008, ok(b).hostPa());
    }

    @Test
    void stage2MissOnTopLevelTableFaultsWithStage2Flag() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        ram.parent.unmap(pt.root, SZ_4K);
        WalkResult.Fault f = fault(walk(Access.read(IOVA)), 0x75);
        assertTrue(f.stage2());
        assertEquals(pt.root + ((IOVA >>> 39) & 0x1ff) * 8, f.address2());
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 2, 1})
    void stage2MissOnLowerTableFaultsWithStage2Flag(int level) {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        long entry = pt.entry(IOVA, level);
        ram.parent.unmap(entry & -SZ_4K, SZ_4K);
        WalkResult.Fault f = fault(walk(Access.read(IOVA)), 0x76);
        assertTrue(f.stage2());
        assertEquals(entry, f.address2());
    }

    @Test
    void readOnlyStage2TablePageFailsTheAccessedBitUpdate() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        long table = pt.entry(IOVA, 1) & -SZ_4K;
        long host = ram.hostOf(table);
        ram.parent.unmap(table, SZ_4K);
        ram.parent.map(table, SZ_4K, host, true, false);
        WalkResult.Fault f = fault(walk(Access.read(IOVA)), 0x77);
        assertTrue(f.stage2());
        // once A is set (by the guest), no update is needed and the walk succeeds
        ram.host.writeLong(host + (pt.entry(IOVA, 1) - table), pt.get(IOVA, 1) | A);
        ok(walk(Access.read(IOVA)));
    }

    @Test
    void tableGpaBeyondStage2WidthFaults() {
        GuestRam small = new GuestRam(0x8000_0000L, 39);
        X86Tables p = new X86Tables(small, 4);
        small.put(p.root + ((IOVA >>> 39) & 0x1ff) * 8, (1L << 40) | X86Tables.TABLE);
        WalkResult.Fault f = fault(new VtdFirstLevelWalker(small.memory(), 48).walk(p.config(), Access.read(IOVA)), 0x74);
        assertTrue(f.stage2());
    }

    @Test
    void stage2MissOnOutputFaults() {
        pt.map(IOVA, 0x2_0000_0000L, SZ_4K, USER_RW);
        WalkResult.Fault f = fault(walk(Access.read(IOVA)), 0x79);
        assertTrue(f.stage2());
        assertEquals(0x2_0000_0000L, f.address2());
    }

    @Test
    void writeToStage2ReadOnlyOutputFaultsWithStage2Flag() {
        ram.parent.unmap(DATA_GPA, SZ_1G);
        ram.ram(DATA_GPA, SZ_2M, DATA_HOST, false);
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        assertTrue(fault(walk(Access.write(IOVA)), 0x85).stage2());
        assertFalse(ok(walk(Access.read(IOVA))).write());
    }

    @Test
    void combinedPageSizeIsTheSmallerOfBothStages() {
        ram.parent.unmap(DATA_GPA, SZ_1G);
        ram.ram(DATA_GPA, SZ_4K, DATA_HOST, true); // 4K stage-2 leaf under a 2M stage-1 leaf
        pt.map(0x4020_0000L, DATA_GPA, SZ_2M, USER_RW);
        WalkResult.Translated t = ok(walk(Access.read(0x4020_0000L)));
        assertEquals(SZ_4K, t.pageSize());
        assertEquals(2, t.level());
    }

    @Test
    void busErrorReadingTablesFaults() {
        pt.map(IOVA, DATA_GPA, SZ_4K, USER_RW);
        long rootHost = ram.hostOf(pt.root);
        long leafTableHost = ram.hostOf(pt.entry(IOVA, 1) & -SZ_4K);
        var top = new VtdFirstLevelWalker(ram.memory(pa -> (pa & -SZ_4K) == rootHost), 48);
        assertFalse(fault(top.walk(pt.config(), Access.read(IOVA)), 0x73).stage2());
        var lower = new VtdFirstLevelWalker(ram.memory(pa -> (pa & -SZ_4K) == leafTableHost), 48);
        fault(lower.walk(pt.config(), Access.read(IOVA)), 0x70);
    }

    @Test
    void identityStage2WalksHostMemoryDirectly() {
        HostMemory host = new HostMemory();
        host.writeLong(0x1000, 0x2000 | USER_RW);
        host.writeLong(0x2000, 0x3000 | USER_RW);
        host.writeLong(0x3000, 0x4000 | USER_RW);
        host.writeLong(0x4000, 0x9000 | USER_RW);
        var w = new VtdFirstLevelWalker(new GuestMemory(host, Stage2.identity()), 48);
        WalkResult.Translated t = ok(w.walk(new VtdFirstLevelWalker.Config(0x1000, 48, false, false, true), Access.read(0x42)));
        assertEquals(0x9042, t.hostPa());
        assertEquals(SZ_4K, t.pageSize());
    }
}
