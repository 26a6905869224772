package dev.iommufd.sim.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Bit layout of the SMMUv3 event record and the VT-d fault record. */
class EventRecordsTest {
    @Test
    void smmuTranslationFaultCarriesEveryField() {
        List<Long> evt = EventRecords.smmu(0x10, 0x1234, 0xabcde, true, true, true, "TT", 0xdead_b000L, 0x4000_1234L);
        assertEquals(0x10L | 1L << 11 | 0xabcdeL << 12 | 0x1234L << 32, evt.get(0));
        assertEquals(1L << 33 | 1L << 35 | 1L << 39 | 1L << 40, evt.get(1));
        assertEquals(0xdead_b000L, evt.get(2));
        assertEquals(0x4000_1230L, evt.get(3), "ADDR2 bits [51:3]");
    }

    @Test
    void smmuClassesAndWriteAccess() {
        assertEquals(0L, EventRecords.smmu(0x13, 1, null, false, false, false, "CD", 0, 0).get(1));
        assertEquals(2L << 40, EventRecords.smmu(0x12, 1, null, false, false, false, "IN", 0, 0).get(1));
        assertEquals(0x11L | 1L << 32, EventRecords.smmu(0x11, 1, null, false, false, false, "IN", 0, 0).get(0), "no SSV without SSID");
    }

    @Test
    void smmuConfigurationEventsCarryWordZeroOnly() {
        assertEquals(List.of(0x04L | 8L << 32, 0L, 0L, 0L), EventRecords.smmu(0x04, 8, null, true, false, false, null, 0x1000, 0x2000));
    }

    @Test
    void vtdRecord() {
        assertEquals(List.of(0x12345000L, 0x0318L | 0x71L << 32 | 1L << 31 | 0x5L << 40 | 1L << 29 | 1L << 62 | 1L << 63),
                EventRecords.vtd(0x71, 0x0318, 5, true, true, 0x12345678L));
        assertEquals(List.of(0L, 0x81L << 32 | 1L << 63), EventRecords.vtd(0x81, 0, null, false, false, 0xfff));
    }

    @Test
    void sourceIdOfARid() {
        assertEquals(0x0318, EventRecords.sourceId("0000:03:03.0"));
        assertEquals(0x0001 << 8 | 2 << 3 | 7, EventRecords.sourceId("0001:01:02.7"));
        assertThrows(IllegalArgumentException.class, () -> EventRecords.sourceId("nope"));
    }
}
