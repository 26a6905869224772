package dev.iommufd.viommu.invalidate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.InvalidateBatch.Inv;
import dev.iommufd.contract.events.SmmuCommands;
import dev.iommufd.contract.events.SmmuCommands.Cmd;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.viommu.ioas.IoasNesting.AttachedDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How user invalidations become Kafka records: VT-d descriptors in INV_BATCH, merging of a batch's calls. */
class InvalidationRecordsTest {
    static final AttachedDevice NIC = new AttachedDevice(3, "0000:03:00.0", true);
    static final AttachedDevice NIC2 = new AttachedDevice(4, "0000:04:00.0", true);
    static final AttachedDevice STORAGE = new AttachedDevice(5, "0000:05:00.0", false);

    static VtdInvalidation.Range page(long addr, long pages) {
        return new VtdInvalidation.Range(addr, pages * 4096, false);
    }

    @Test
    void vtdEntriesBecomeOneBatchIotlbThenTheAtcOfEachAtsDeviceInEntryOrder() {
        List<EventPayload> r = Invalidations.vtdDescriptors("dmar0", "c/7", List.of(page(0x5000, 2), new VtdInvalidation.Range(0x9000, 0, false),
                new VtdInvalidation.Range(0, 0, true)), List.of(NIC, STORAGE, NIC2));
        assertEquals(List.of(new InvalidateBatch("dmar0", List.of(
                Inv.iotlb("c/7", 0x5000, 0x2000), Inv.atc(NIC.rid(), 0x5000, 0x2000), Inv.atc(NIC2.rid(), 0x5000, 0x2000),
                // npages 0 flushes nothing; "all" is length 0 for IOTLB and ATC
                Inv.iotlb("c/7", 0, 0), Inv.atc(NIC.rid(), 0, 0), Inv.atc(NIC2.rid(), 0, 0)))), r);
        assertEquals(6, Invalidations.entries(r.get(0)));
    }

    @Test
    void nothingToFlushIsNoRecordAndNoAtsDeviceIsIotlbOnly() {
        assertEquals(List.of(), Invalidations.vtdDescriptors("dmar0", "c/7", List.of(new VtdInvalidation.Range(0x9000, 0, false)), List.of(NIC)));
        assertEquals(List.of(new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/7", 0x1000, 0x1000)))),
                Invalidations.vtdDescriptors("dmar0", "c/7", List.of(page(0x1000, 1)), List.of(STORAGE)));
    }

    @Test
    void aHugeArraySplitsIntoRecordsOfAtMostTheLimitInOrder() {
        List<VtdInvalidation.Range> ranges = new ArrayList<>();
        for (int i = 0; i < Invalidations.MAX_PER_RECORD; i++) {
            ranges.add(page(i * 4096L, 1));
        }
        List<EventPayload> r = Invalidations.vtdDescriptors("dmar0", "c/7", ranges, List.of(NIC)); // 2 descriptors per entry
        assertEquals(2, r.size());
        List<Inv> all = new ArrayList<>();
        r.forEach(p -> all.addAll(((InvalidateBatch) p).invs()));
        assertEquals(Invalidations.MAX_PER_RECORD, ((InvalidateBatch) r.get(0)).invs().size());
        assertEquals(2 * Invalidations.MAX_PER_RECORD, all.size());
        for (int i = 0; i < ranges.size(); i++) {
            assertEquals(Inv.iotlb("c/7", i * 4096L, 4096), all.get(2 * i));
            assertEquals(Inv.atc(NIC.rid(), i * 4096L, 4096), all.get(2 * i + 1));
        }
    }

    static InvalidateBatch batch(String iommu, long... iovas) {
        List<Inv> invs = new ArrayList<>();
        for (long a : iovas) {
            invs.add(Inv.iotlb("c/1", a, 4096));
        }
        return new InvalidateBatch(iommu, invs);
    }

    @Test
    void consecutiveBatchesOfOneIommuAndCommandsOfOneViommuMergeInOrderNothingElse() {
        SmmuCommands v1a = new SmmuCommands("smmu0", "c/1", List.of(new Cmd(0x12, 1), new Cmd(0x12, 2)));
        SmmuCommands v1b = new SmmuCommands("smmu0", "c/1", List.of(new Cmd(0x11, 0)));
        SmmuCommands v2 = new SmmuCommands("smmu0", "c/2", List.of(new Cmd(0x10, 0)));
        SyncRequest other = new SyncRequest("smmu0"); // any other record: kept where it is
        assertEquals(List.of(new SmmuCommands("smmu0", "c/1", List.of(new Cmd(0x12, 1), new Cmd(0x12, 2), new Cmd(0x11, 0))), v2, other, v1b),
                Invalidations.merge(List.of(v1a, v1b, v2, other, v1b)));
        assertEquals(List.of(batch("dmar0", 1, 2, 3), batch("dmar1", 4), batch("dmar0", 5)),
                Invalidations.merge(List.of(batch("dmar0", 1), batch("dmar0", 2, 3), batch("dmar1", 4), batch("dmar0", 5))));
        assertEquals(List.of(batch("dmar0", 1), v1a), Invalidations.merge(List.of(batch("dmar0", 1), v1a)));
    }

    @Test
    void mergingStopsAtTheRecordLimit() {
        long[] big = new long[Invalidations.MAX_PER_RECORD - 1];
        for (int i = 0; i < big.length; i++) {
            big[i] = i;
        }
        List<EventPayload> r = Invalidations.merge(List.of(batch("dmar0", big), batch("dmar0", 7), batch("dmar0", 8, 9)));
        assertEquals(2, r.size(), "the 1-entry batch still fits, the 2-entry one starts a new record");
        assertEquals(Invalidations.MAX_PER_RECORD, Invalidations.entries(r.get(0)));
        assertEquals(batch("dmar0", 8, 9), r.get(1));
        assertEquals(1, Invalidations.entries(new SyncRequest("dmar0")));
    }
}
