package dev.iommufd.sim.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.InvalidateBatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CostModelTest {
    final InvalidateIotlb iotlb = new InvalidateIotlb("dmar0", "d/1", 0x1000, 0x1000);
    final InvalidateAtc atc = new InvalidateAtc("0000:03:00.0", 0x1000, 0x1000);
    final MapRange map = new MapRange("d/1", 0x1000, 0x1000, 0x2000, true, true);

    @Test
    void offCostsNothing() {
        CostModel m = CostModel.off();
        assertEquals(0, m.nanos(iotlb));
        assertEquals(0, m.nanos(atc));
    }

    @Test
    void vtdUsesTheMeasuredFigures() {
        CostModel m = CostModel.vtd();
        assertEquals(1_000, m.nanos(iotlb));
        assertEquals(2_000, m.nanos(atc));
        assertEquals(0, m.nanos(map));
        assertEquals(0, m.nanos(new SyncRequest("dmar0")));
    }

    @Test
    void overridesReplaceSomeKinds() {
        CostModel m = CostModel.of("vtd", Map.of("INV_IOTLB", 5_000L, "MAP", 300L));
        assertEquals(5_000, m.nanos(iotlb));
        assertEquals(2_000, m.nanos(atc));
        assertEquals(300, m.nanos(map));
        assertThrows(IllegalArgumentException.class, () -> CostModel.of("fast", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> CostModel.of("off", Map.of("INV_ATC", -1L)));
    }

    @Test
    void aBatchCostsWhatItsDescriptorsCostAsSingleRecords() {
        InvalidateBatch b = new InvalidateBatch("dmar0", List.of(InvalidateBatch.Inv.iotlb("d/1", 0x1000, 0x1000),
                InvalidateBatch.Inv.atc("0000:03:00.0", 0x1000, 0x1000), InvalidateBatch.Inv.atc("0000:03:00.0", 0, 0)));
        assertEquals(1_000 + 2 * 2_000, CostModel.vtd().nanos(b));
        assertEquals(0, CostModel.off().nanos(b));
        assertEquals(7, CostModel.of("vtd", Map.of("INV_BATCH", 7L)).nanos(b), "a figure of its own wins");
        assertEquals(0, CostModel.vtd().nanos(new InvalidateBatch("dmar0", List.of())));
    }

    @Test
    void chargeKeepsTheQueueBusyForTheCost() {
        CostModel m = CostModel.of("off", Map.of("INV_IOTLB", 2_000_000L));
        long t0 = System.nanoTime();
        m.charge(iotlb);
        assertTrue(System.nanoTime() - t0 >= 2_000_000L);
    }
}
