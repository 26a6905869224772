package dev.iommufd.sim.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.events.SmmuCommands;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Decoding of each accepted SMMUv3 command (field layout of Linux arm-smmu-v3.h CMDQ_*). */
class SmmuCmdTest {
    static SmmuCmd decode(long w0, long w1) {
        return SmmuCmd.decode(new SmmuCommands.Cmd(w0, w1));
    }

    @Test
    void cfgiSte() {
        assertEquals(new SmmuCmd(0x03, "CFGI_STE", null, 0x10, -1, -1, 0, 0), decode(0x03 | 0x10L << 32, 1));
    }

    @Test
    void cfgiCdCarriesItsSsidWithOrWithoutSsv() {
        assertEquals(new SmmuCmd(0x05, "CFGI_CD", 0xabcde, 8, -1, -1, 0, 0), decode(0x05 | 1L << 11 | 0xabcdeL << 12 | 8L << 32, 1));
        assertEquals(new SmmuCmd(0x05, "CFGI_CD", 0xabcde, 8, -1, -1, 0, 0), decode(0x05 | 0xabcdeL << 12 | 8L << 32, 0),
                "Linux sets the SSID of CFGI_CD without SSV");
        assertEquals(new SmmuCmd(0x06, "CFGI_CD_ALL", null, 8, -1, -1, 0, 0), decode(0x06 | 8L << 32, 0));
    }

    @Test
    void tlbiNhAllAndAsidCarryVmidAndAsid() {
        assertEquals(new SmmuCmd(0x10, "TLBI_NH_ALL", null, -1, -1, 0x1234, 0, 0), decode(0x10 | 0x1234L << 32 | 0x55L << 48, 0));
        assertEquals(new SmmuCmd(0x11, "TLBI_NH_ASID", null, -1, 0xbeef, 7, 0, 0), decode(0x11 | 7L << 32 | 0xbeefL << 48, 0));
    }

    @Test
    void tlbiNhVaWithoutRangeIsOnePage() {
        SmmuCmd c = decode(0x12 | 3L << 32 | 0x42L << 48 | 5L << 12, 0x0000_1234_5678_9000L | 1 | 3L << 8);
        assertEquals(new SmmuCmd(0x12, "TLBI_NH_VA", null, -1, 0x42, 3, 0x0000_1234_5678_9000L, 4096), c);
    }

    @Test
    void tlbiRangeIsNumPlusOneTimesTwoToScaleGranules() {
        // TG=1 (4K), NUM=3, SCALE=1: (3+1) << 1 = 8 pages
        assertEquals(8 * 4096L, decode(0x13 | 3L << 12 | 1L << 20, 0x10000L | 1L << 10).length());
        // TG=2 (16K), NUM=0, SCALE=0: one 16K granule
        assertEquals(16384L, decode(0x13, 0x10000L | 2L << 10).length());
        // TG=3 (64K), NUM=31, SCALE=2: 128 × 64K
        assertEquals(128 * 65536L, decode(0x12 | 31L << 12 | 2L << 20, 3L << 10).length());
        assertEquals(0x10000L, decode(0x13, 0x10fffL | 1L << 10).address(), "low 12 bits are TG/TTL/LEAF, not address");
    }

    @Test
    void nsnhAllAndSync() {
        assertEquals("TLBI_NSNH_ALL", decode(0x30, 0).name());
        assertEquals("CMD_SYNC", decode(0x46 | 1L << 12, 0).name());
    }

    @Test
    void atcInvSpanIsAlignedPowerOfTwoPages() {
        SmmuCmd c = decode(0x40 | 1L << 11 | 9L << 12 | 8L << 32, 0x12345000L | 2);
        assertEquals(new SmmuCmd(0x40, "ATC_INV", 9, 8, -1, -1, 0x12344000L, 4 * 4096L), c);
        SmmuCmd all = decode(0x40 | 8L << 32, 0x12345000L | 52);
        assertEquals(0, all.length());
        assertEquals(null, all.ssid());
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x04, 0x20, 0x28, 0x2a, 0x41, 0x44, 0xff})
    void otherOpcodesAreMalformed(int op) {
        assertThrows(IllegalArgumentException.class, () -> decode(op, 0));
    }
}
