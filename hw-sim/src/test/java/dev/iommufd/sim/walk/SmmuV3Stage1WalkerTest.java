package dev.iommufd.sim.walk;

import static dev.iommufd.sim.walk.ArmTables.AF;
import static dev.iommufd.sim.walk.ArmTables.AP_EL0;
import static dev.iommufd.sim.walk.ArmTables.AP_RO;
import static dev.iommufd.sim.walk.ArmTables.RW_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmmuV3Stage1WalkerTest {
    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;
    static final long SZ_1G = 1L << 30;
    static final long DATA_IPA = 0x4000_0000L;
    static final long DATA_HOST = 0x1_0000_0000L;
    static final long IOVA = 0x0000_1234_5678_9000L;
    static final int ASID = 0x42;
    static final int IPS_48 = 5;

    final GuestRam ram = new GuestRam(0x8000_0000L).ram(DATA_IPA, SZ_1G, DATA_HOST, true);
    final ArmTables pt = new ArmTables(ram, 16);

    WalkResult translate(GuestRam r, long[] ste, Integer ssid, Access a) {
        return new SmmuV3Stage1Walker(r.memory(), 48).translate(ste, ssid, a);
    }

    /** Writes the usual CD (T0SZ 16, 4K, IPS 48, R=1) and translates through a guest STE pointing at it. */
    WalkResult translate(Access a) {
        return translate(ram, ArmTables.ste(pt.writeCd(pt.cd0(ASID, IPS_48))), null, a);
    }

    WalkResult translateWithCd(long cd0, Access a) {
        return translate(ram, ArmTables.ste(pt.writeCd(cd0)), null, a);
    }

    static WalkResult.Translated ok(WalkResult r) {
        return assertInstanceOf(WalkResult.Translated.class, r, () -> "expected a translation, got " + r);
    }

    static WalkResult.Fault fault(WalkResult r, int code) {
        WalkResult.Fault f = assertInstanceOf(WalkResult.Fault.class, r, () -> "expected a fault, got " + r);
        assertEquals(code, f.code(), () -> "fault " + f);
        assertEquals("SMMUV3", f.arch());
        return f;
    }

    // ---- stage-1 walk ----

    @Test
    void fourLevelWalkTranslates4kPageWithAsid() {
        pt.map(IOVA, DATA_IPA + 0x5000, SZ_4K, RW_USER);
        WalkResult.Translated t = ok(translate(Access.write(IOVA + 0x18)));
        assertEquals(DATA_HOST + 0x5018, t.hostPa());
        assertEquals(DATA_IPA + 0x5018, t.ipa());
        assertEquals(SZ_4K, t.pageSize());
        assertEquals(3, t.level());
        assertEquals(ASID, t.asid());
        assertTrue(t.read() && t.write());
    }

    @Test
    void level2BlockMaps2m() {
        pt.map(0x4020_0000L, DATA_IPA + SZ_2M, SZ_2M, RW_USER);
        WalkResult.Translated t = ok(translate(Access.read(0x4020_0000L + 0x1_0008)));
        assertEquals(DATA_HOST + SZ_2M + 0x1_0008, t.hostPa());
        assertEquals(SZ_2M, t.pageSize());
        assertEquals(2, t.level());
    }

    @Test
    void level1BlockMaps1g() {
        pt.map(0x80_0000_0000L, DATA_IPA, SZ_1G, RW_USER);
        WalkResult.Translated t = ok(translate(Access.read(0x80_0000_0000L + 0x1234_5678L)));
        assertEquals(DATA_HOST + 0x1234_5678L, t.hostPa());
        assertEquals(1, t.level());
    }

    @Test
    void t0sz25StartsAtLevel1() {
        ArmTables pt39 = new ArmTables(ram, 25);
        assertEquals(1, pt39.startLevel);
        long iova = 0x7f_ffff_f000L;
        pt39.map(iova, DATA_IPA + 0x2000, SZ_4K, RW_USER);
        long[] ste = ArmTables.ste(pt39.writeCd(pt39.cd0(ASID, IPS_48)));
        assertEquals(DATA_HOST + 0x2000, ok(translate(ram, ste, null, Access.read(iova))).hostPa());
        fault(translate(ram, ste, null, Access.read(1L << 39)), SmmuV3Stage1Walker.F_TRANSLATION);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void invalidDescriptorAtEachLevelIsTranslationFault(int level) {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        pt.set(IOVA, level, pt.get(IOVA, level) & ~1L);
        WalkResult.Fault f = fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertFalse(f.stage2());
        assertEquals("IN", f.faultClass());
        assertTrue(f.recorded(), "CD.R=1 records stage-1 faults");
    }

    @Test
    void stage1FaultsAreNotRecordedWithoutCdR() {
        WalkResult.Fault f = fault(translateWithCd(pt.cd0(ASID, IPS_48) & ~(1L << 45), Access.read(IOVA)),
                SmmuV3Stage1Walker.F_TRANSLATION);
        assertFalse(f.recorded());
    }

    @Test
    void blockEncodingAtLevel3IsReserved() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        pt.set(IOVA, 3, pt.get(IOVA, 3) & ~2L);
        fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
    }

    @Test
    void blockAtLevel0IsInvalidWith4kGranule() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        pt.set(IOVA, 0, pt.get(IOVA, 0) & ~2L);
        fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
    }

    @Test
    void clearAccessFlagIsAccessFaultUnlessAffd() {
        pt.map(IOVA, DATA_IPA, SZ_4K, AP_EL0);
        fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_ACCESS);
        ok(translateWithCd(pt.cd0(ASID, IPS_48) | (1L << 35), Access.read(IOVA)));
    }

    @Test
    void accessFaultTakesPriorityOverPermissionFault() {
        pt.map(IOVA, DATA_IPA, SZ_4K, AP_EL0 | AP_RO);
        fault(translate(Access.write(IOVA)), SmmuV3Stage1Walker.F_ACCESS);
    }

    @Test
    void writeToReadOnlyPageIsPermissionFault() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER | AP_RO);
        fault(translate(Access.write(IOVA)), SmmuV3Stage1Walker.F_PERMISSION);
        assertFalse(ok(translate(Access.read(IOVA))).write());
    }

    @Test
    void apTableReadOnlyDeniesWritesUnlessHad() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        pt.set(IOVA, 1, pt.get(IOVA, 1) | (1L << 62));
        fault(translate(Access.write(IOVA)), SmmuV3Stage1Walker.F_PERMISSION);
        long cd = pt.writeCd(pt.cd0(ASID, IPS_48));
        ram.put(cd + 8, pt.root | 2); // HAD0
        assertTrue(ok(translate(ram, ArmTables.ste(cd), null, Access.write(IOVA))).write());
    }

    @Test
    void unprivilegedAccessNeedsAp1() {
        pt.map(IOVA, DATA_IPA, SZ_4K, AF);
        fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_PERMISSION);
        ok(translate(Access.read(IOVA).asPrivileged()));
    }

    @Test
    void outputAddressBeyondIpsIsAddressSizeFault() {
        pt.map(IOVA, 1L << 33, SZ_4K, RW_USER);
        fault(translateWithCd(pt.cd0(ASID, 0), Access.read(IOVA)), SmmuV3Stage1Walker.F_ADDR_SIZE); // IPS 0: 32 bits
    }

    @Test
    void tableAddressBeyondIpsIsAddressSizeFault() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        pt.set(IOVA, 1, (1L << 49) | 3);
        fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_ADDR_SIZE);
    }

    @Test
    void iovaAboveT0szRangeIsTranslationFault() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        fault(translate(Access.read(IOVA | (1L << 48))), SmmuV3Stage1Walker.F_TRANSLATION);
    }

    @Test
    void topByteIsIgnoredWithTbi0() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        long tagged = IOVA | (0x5aL << 56);
        fault(translate(Access.read(tagged)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertEquals(DATA_HOST, ok(translateWithCd(pt.cd0(ASID, IPS_48) | (1L << 38), Access.read(tagged))).hostPa());
    }

    @Test
    void disabledTtb0IsTranslationFault() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        fault(translateWithCd(pt.cd0(ASID, IPS_48) | (1L << 14), Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
    }

    // ---- STE ----

    @Test
    void steWithVClearIsBadSte() {
        long[] ste = ArmTables.ste(pt.writeCd(pt.cd0(ASID, IPS_48)));
        ste[0] &= ~1L;
        fault(translate(ram, ste, null, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_STE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0b110, 0b111})
    void steAskingForStage2IsBadSte(int cfg) {
        fault(translate(ram, new long[] {1 | (cfg << 1), 0}, null, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_STE);
    }

    @Test
    void steFieldNotAllowedForGuestsIsBadSte() {
        long[] ste = ArmTables.ste(pt.writeCd(pt.cd0(ASID, IPS_48)));
        fault(translate(ram, new long[] {ste[0], 1L << 32}, null, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_STE);
        fault(translate(ram, new long[] {ste[0] | (1L << 56), 0}, null, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_STE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0b000, 0b001, 0b010, 0b011})
    void abortSteFaultsWithoutEvent(int cfg) {
        WalkResult.Fault f = fault(translate(ram, new long[] {1 | (cfg << 1), 0}, null, Access.read(IOVA)), 0);
        assertFalse(f.recorded());
    }

    @Test
    void bypassSteTranslatesThroughStage2Only() {
        WalkResult.Translated t = ok(translate(ram, new long[] {1 | (SmmuV3Stage1Walker.CFG_BYPASS << 1), 0}, null,
                Access.write(DATA_IPA + 0x10)));
        assertEquals(DATA_HOST + 0x10, t.hostPa());
        assertNull(t.asid());
        assertEquals(SZ_1G, t.pageSize());
        WalkResult.Fault f = fault(translate(ram, new long[] {1 | (SmmuV3Stage1Walker.CFG_BYPASS << 1), 0}, null,
                Access.read(0x2_0000_0000L)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertTrue(f.stage2());
        assertEquals("IN", f.faultClass());
    }

    // ---- CD ----

    @Test
    void stage2MissOnCdFetchIsStage2TranslationFaultOfClassCd() {
        long cd = pt.writeCd(pt.cd0(ASID, IPS_48));
        ram.parent.unmap(cd, SZ_4K);
        WalkResult.Fault f = fault(translate(ram, ArmTables.ste(cd), null, Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertTrue(f.stage2());
        assertEquals("CD", f.faultClass());
        assertEquals(cd, f.address2());
    }

    @Test
    void externalAbortOnCdFetchIsCdFetchFault() {
        long cd = pt.writeCd(pt.cd0(ASID, IPS_48));
        long cdHost = ram.hostOf(cd);
        WalkResult.Fault f = fault(new SmmuV3Stage1Walker(ram.memory(pa -> pa == cdHost), 48)
                .translate(ArmTables.ste(cd), null, Access.read(IOVA)), SmmuV3Stage1Walker.F_CD_FETCH);
        assertEquals(cd, f.address2());
    }

    @Test
    void invalidOrNonAarch64CdIsBadCd() {
        fault(translateWithCd(pt.cd0(ASID, IPS_48) & ~(1L << 31), Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
        fault(translateWithCd(pt.cd0(ASID, IPS_48) & ~(1L << 41), Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void granuleOtherThan4kIsBadCd(int tg0) {
        fault(translateWithCd(pt.cd0(ASID, IPS_48) | ((long) tg0 << 6), Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 15, 40, 63})
    void t0szOutside16To39IsBadCd(int tsz) {
        long cd0 = (pt.cd0(ASID, IPS_48) & ~0x3fL) | tsz;
        fault(translateWithCd(cd0, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    @ParameterizedTest
    @ValueSource(ints = {42, 43, 44, 15})
    void haHdStallOrBigEndianCdIsBadCd(int bit) {
        fault(translateWithCd(pt.cd0(ASID, IPS_48) | (1L << bit), Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    @Test
    void cdWithoutAIsBadCd() {
        fault(translateWithCd(pt.cd0(ASID, IPS_48) & ~(1L << 46), Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    @Test
    void ttbBeyondIpsIsBadCd() {
        long cd = pt.writeCd(pt.cd0(ASID, 0)); // 32-bit IPS
        ram.put(cd + 8, 1L << 40);
        fault(translate(ram, ArmTables.ste(cd), null, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_CD);
    }

    // ---- substreams ----

    @Test
    void linearCdTableIsIndexedBySsid() {
        ArmTables other = new ArmTables(ram, 16);
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        other.map(IOVA, DATA_IPA + 0x1000, SZ_4K, RW_USER);
        long table = ram.page();
        pt.writeCdAt(table, pt.cd0(1, IPS_48));
        other.writeCdAt(table + 64, other.cd0(2, IPS_48));
        long[] ste = {1 | (SmmuV3Stage1Walker.CFG_S1 << 1) | table | (2L << 59), 2}; // S1CDMax 2, S1DSS substream 0
        assertEquals(1, ok(translate(ram, ste, null, Access.read(IOVA))).asid());
        WalkResult.Translated t = ok(translate(ram, ste, 1, Access.read(IOVA)));
        assertEquals(2, t.asid());
        assertEquals(DATA_HOST + 0x1000, t.hostPa());
        fault(translate(ram, ste, 4, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_SUBSTREAMID);
        fault(translate(ram, ste, 0, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_SUBSTREAMID);
    }

    @Test
    void twoLevelCdTableFollowsL1Descriptor() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        long l1 = ram.page();
        long l2 = ram.page();
        ram.put(l1 + 8, l2 | 1); // SSIDs 64..127 (S1Fmt 1: SPLIT 6)
        pt.writeCdAt(l2 + 5 * 64, pt.cd0(7, IPS_48));
        long[] ste = {1 | (SmmuV3Stage1Walker.CFG_S1 << 1) | (1L << 4) | l1 | (8L << 59), 0};
        assertEquals(7, ok(translate(ram, ste, 69, Access.read(IOVA))).asid());
        fault(translate(ram, ste, 200, Access.read(IOVA)), SmmuV3Stage1Walker.C_BAD_SUBSTREAMID);
    }

    @Test
    void ssidWithoutSubstreamsIsBadSubstream() {
        fault(translate(ram, ArmTables.ste(pt.writeCd(pt.cd0(ASID, IPS_48))), 1, Access.read(IOVA)),
                SmmuV3Stage1Walker.C_BAD_SUBSTREAMID);
    }

    @Test
    void s1dssDecidesNonSubstreamTraffic() {
        long table = pt.writeCd(pt.cd0(ASID, IPS_48));
        long base = 1 | (SmmuV3Stage1Walker.CFG_S1 << 1) | table | (1L << 59);
        fault(translate(ram, new long[] {base, 0}, null, Access.read(IOVA)), SmmuV3Stage1Walker.F_STREAM_DISABLED);
        WalkResult.Translated t = ok(translate(ram, new long[] {base, 1}, null, Access.read(DATA_IPA)));
        assertEquals(DATA_HOST, t.hostPa());
        assertNull(t.asid());
    }

    // ---- nested ----

    @Test
    void sameGuestTablesAtDifferentHostAddressesTranslateTheSame() {
        GuestRam other = new GuestRam(0x7_0000_0000L).ram(DATA_IPA, SZ_1G, DATA_HOST, true);
        ArmTables pt2 = new ArmTables(other, 16);
        pt.map(IOVA, DATA_IPA + 0x3000, SZ_4K, RW_USER);
        pt2.map(IOVA, DATA_IPA + 0x3000, SZ_4K, RW_USER);
        long cd1 = pt.writeCd(pt.cd0(ASID, IPS_48));
        long cd2 = pt2.writeCd(pt2.cd0(ASID, IPS_48));
        assertEquals(cd1, cd2);
        assertTrue(ram.hostOf(cd1) != other.hostOf(cd2));
        WalkResult a = translate(ram, ArmTables.ste(cd1), null, Access.read(IOVA));
        WalkResult b = translate(other, ArmTables.ste(cd2), null, Access.read(IOVA));
        assertEquals(a, b);
        assertEquals(DATA_HOST + 0x3000, ok(b).hostPa());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void stage2MissOnTablePageIsStage2FaultOfClassTt(int level) {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        long cd = pt.writeCd(pt.cd0(ASID, IPS_48));
        long entry = pt.entry(IOVA, level);
        ram.parent.unmap(entry & -SZ_4K, SZ_4K);
        WalkResult.Fault f = fault(translate(ram, ArmTables.ste(cd), null, Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertTrue(f.stage2());
        assertEquals("TT", f.faultClass());
        assertEquals(entry, f.address2());
        assertEquals(IOVA, f.address());
        assertTrue(f.recorded());
    }

    @Test
    void stage2MissOnOutputIsStage2FaultOfClassIn() {
        pt.map(IOVA, 0x2_0000_0000L, SZ_4K, RW_USER);
        WalkResult.Fault f = fault(translate(Access.read(IOVA)), SmmuV3Stage1Walker.F_TRANSLATION);
        assertTrue(f.stage2());
        assertEquals("IN", f.faultClass());
        assertEquals(0x2_0000_0000L, f.address2());
    }

    @Test
    void writeToStage2ReadOnlyOutputIsStage2PermissionFault() {
        ram.parent.unmap(DATA_IPA, SZ_1G);
        ram.ram(DATA_IPA, SZ_2M, DATA_HOST, false);
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        WalkResult.Fault f = fault(translate(Access.write(IOVA)), SmmuV3Stage1Walker.F_PERMISSION);
        assertTrue(f.stage2());
        WalkResult.Translated t = ok(translate(Access.read(IOVA)));
        assertFalse(t.write());
        assertEquals(SZ_4K, t.pageSize());
    }

    @Test
    void externalAbortOnTableFetchIsWalkEabt() {
        pt.map(IOVA, DATA_IPA, SZ_4K, RW_USER);
        long cd = pt.writeCd(pt.cd0(ASID, IPS_48));
        long tableHost = ram.hostOf(pt.entry(IOVA, 2) & -SZ_4K);
        WalkResult.Fault f = fault(new SmmuV3Stage1Walker(ram.memory(pa -> (pa & -SZ_4K) == tableHost), 48)
                .translate(ArmTables.ste(cd), null, Access.read(IOVA)), SmmuV3Stage1Walker.F_WALK_EABT);
        assertEquals("TT", f.faultClass());
        assertEquals(pt.entry(IOVA, 2), f.address2());
        assertTrue(f.recorded());
    }
}
