package dev.iommufd.sim.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.InvalidateBatch.Inv;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** INV_BATCH is exactly its INV_IOTLB / INV_ATC records, in order: same caches, counters and digest. */
class InvalidateBatchTest {
    static final String NIC = "0000:03:00.0";      // dmar0, ATS
    static final String NIC2 = "0000:04:00.0";     // dmar0, ATS
    static final String STORAGE = "0000:05:00.0";  // dmar0, no ATS
    static final long BASE = 0x200000;
    static final int PAGES = 64;

    /** Two domains, three devices, every page of both cached in the IOTLB and the ATS devices' ATCs. */
    static Platform warm() {
        Platform p = new Platform(Topology.defaults(), new HostMemory());
        for (String d : List.of("c/1", "c/2")) {
            p.apply(new DomainCreate(d, "dmar0", 48, false));
            p.apply(new MapRange(d, BASE, PAGES * 4096L, d.equals("c/1") ? 0x100000000L : 0x200000000L, true, true));
        }
        p.apply(new AttachDevice(NIC, null, "c/1"));
        p.apply(new AttachDevice(STORAGE, null, "c/1"));
        p.apply(new AttachDevice(NIC2, null, "c/2"));
        for (long i = 0; i < PAGES; i++) {
            for (String rid : List.of(NIC, STORAGE, NIC2)) {
                assertEquals("OK", p.dma(rid, null, BASE + i * 4096, 8, false, null).status());
            }
        }
        return p;
    }

    /** A mix as viommu-service sends it: per entry an IOTLB range and the ATC of each ATS device; domain- and device-wide too. */
    static List<Inv> mix() {
        List<Inv> invs = new ArrayList<>();
        for (long i = 0; i < PAGES; i += 3) {
            invs.add(Inv.iotlb("c/1", BASE + i * 4096, 4096));
            invs.add(Inv.atc(NIC, BASE + i * 4096, 4096));
            invs.add(Inv.atc(STORAGE, BASE + i * 4096, 8192)); // no ATS: counted, nothing cached
        }
        invs.add(Inv.iotlb("c/2", BASE + 5 * 4096, 2 * 4096));
        invs.add(Inv.atc(NIC2, 0, 0));
        invs.add(Inv.iotlb("c/404", 0, 0)); // a domain nothing cached: a no-op, as INV_IOTLB
        return invs;
    }

    static EventPayload single(String iommu, Inv i) {
        return i.domain() != null ? new InvalidateIotlb(iommu, i.domain(), i.iova(), i.length()) : new InvalidateAtc(i.rid(), i.iova(), i.length());
    }

    /** What a cache holds, without the leaves' generation (a counter global to the JVM, so different per platform). */
    static List<String> held(dev.iommufd.sim.cache.TranslationCache c) {
        return c.entries().stream().map(e -> e.domain() + " " + e.pasid() + " " + e.leaf().iova() + "+" + e.leaf().size() + "→" + e.leaf().pa())
                .toList();
    }

    static void assertSameState(Platform a, Platform b) {
        assertTrue(held(a.iotlb("dmar0")).equals(held(b.iotlb("dmar0"))), "same IOTLB");
        for (String rid : List.of(NIC, NIC2)) {
            assertTrue(held(a.atc(rid)).equals(held(b.atc(rid))), "same ATC of " + rid);
        }
        assertEquals(a.totals().invalidations, b.totals().invalidations);
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void aBatchLeavesTheCachesAsItsSingleRecords() {
        Platform singles = warm();
        Platform batched = warm();
        int iotlbBefore = singles.iotlb("dmar0").size();
        mix().forEach(i -> singles.apply(single("dmar0", i)));
        batched.apply(new InvalidateBatch("dmar0", mix()));
        assertSameState(singles, batched);
        assertTrue(batched.iotlb("dmar0").size() < iotlbBefore, "the batch did drop entries");
        assertEquals(0, batched.atc(NIC2).size());
        assertEquals(22L + 1, batched.totals().invalidations.get("IOTLB_PAGE")); // 22 of c/1, 1 of c/2
        assertEquals(1L, batched.totals().invalidations.get("IOTLB_DOMAIN"));
        assertEquals(2L * 22 + 1, batched.totals().invalidations.get("DEVICE_TLB"));
    }

    @Test
    void orderAgainstOtherRecordsIsTheQueueOrder() {
        // an unmap, the batch, then DMA: nothing stale; the same batch before the unmap leaves the cached translation
        Platform p = warm();
        p.apply(new UnmapRange("c/1", BASE, 4096));
        p.apply(new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/1", BASE, 4096), Inv.atc(NIC, BASE, 4096))));
        assertEquals("FAULT", p.dma(NIC, null, BASE, 8, false, null).status());
        assertEquals(0, p.totals().staleTranslations);

        Platform q = warm();
        q.apply(new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/1", BASE, 4096), Inv.atc(NIC, BASE, 4096))));
        assertEquals("OK", q.dma(NIC, null, BASE, 8, false, null).status()); // refills IOTLB/ATC
        q.apply(new UnmapRange("c/1", BASE, 4096));
        assertEquals("OK", q.dma(NIC, null, BASE, 8, false, null).status(), "invalidated before the unmap: still cached");
        assertEquals(1, q.totals().staleTranslations);
    }

    @Test
    void anEmptyBatchChangesNothing() {
        Platform a = warm();
        Platform b = warm();
        b.apply(new InvalidateBatch("dmar0", List.of()));
        assertSameState(a, b);
    }

    @Test
    void aMalformedBatchChangesNothing() {
        for (InvalidateBatch bad : List.of(
                new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/1", BASE, 4096), Inv.atc("0000:99:00.0", 0, 0))),
                new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/1", BASE, 4096), new Inv("c/1", NIC, BASE, 4096))),
                new InvalidateBatch("dmar0", List.of(Inv.iotlb("c/1", BASE, 4096), new Inv(null, null, BASE, 4096))),
                new InvalidateBatch("dmar9", List.of(Inv.iotlb("c/1", BASE, 4096))),
                new InvalidateBatch("dmar0", null))) {
            Platform untouched = warm();
            Platform p = warm();
            assertThrows(IllegalArgumentException.class, () -> p.apply(bad), bad.toString());
            assertSameState(untouched, p);
        }
    }
}
