package dev.iommufd.sim.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.dma.DmaResult;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.pagetable.DomainTable;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Translation through page tables and caches, invalidation scopes, and the stale-translation oracle. */
class PlatformTest {
    static final String NIC = "0000:03:00.0";      // dmar0, ATS
    static final String STORAGE = "0000:05:00.0";  // dmar0, no ATS
    final HostMemory mem = new HostMemory();
    final Platform p = new Platform(Topology.defaults(), mem);

    void setup(String rid, boolean huge) {
        p.apply(new DomainCreate("c/1", "dmar0", 48, huge));
        p.apply(new MapRange("c/1", 0x200000, 0x400000, 0x100000000L, true, true));
        p.apply(new AttachDevice(rid, null, "c/1"));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void dmaReadsAndWritesTheMappedHostMemory() {
        setup(STORAGE, false);
        assertEquals("OK", p.dma(STORAGE, null, 0x200ffe, 4, true, new byte[] {1, 2, 3, 4}).status());
        assertEquals(b64(new byte[] {1, 2, 3, 4}), b64(mem.read(0x100000ffeL, 4)));
        DmaResult r = p.dma(STORAGE, null, 0x200ffe, 4, false, null);
        assertEquals(b64(new byte[] {1, 2, 3, 4}), r.data());
        assertTrue(p.totals().iotlbHits > 0);
        assertEquals(0, p.totals().staleTranslations);
    }

    @Test
    void blockedUnmappedAndReadOnlyFault() {
        assertEquals("FAULT", p.dma(NIC, null, 0x1000, 4, false, null).status());
        setup(STORAGE, false);
        assertEquals("FAULT", p.dma(STORAGE, null, 0x1000, 4, false, null).status());
        assertEquals("FAULT", p.dma(STORAGE, 7, 0x200000, 4, false, null).status());
        p.apply(new MapRange("c/1", 0x800000, 0x1000, 0x200000000L, true, false));
        assertEquals("OK", p.dma(STORAGE, null, 0x800000, 4, false, null).status());
        DmaResult w = p.dma(STORAGE, null, 0x800000, 4, true, new byte[4]);
        assertEquals("FAULT", w.status());
        assertTrue(w.reason().contains("permission"));
        assertEquals(4, p.totals().faults);
    }

    @Test
    void unmapWithoutInvalidationIsAStaleTranslation() {
        setup(STORAGE, false);
        p.dma(STORAGE, null, 0x200000, 8, false, null); // fills the IOTLB
        p.apply(new UnmapRange("c/1", 0x200000, 0x400000));
        assertEquals("OK", p.dma(STORAGE, null, 0x200000, 8, false, null).status(), "hardware uses its cached entry");
        assertEquals(1, p.totals().staleTranslations);
        p.apply(new InvalidateIotlb("dmar0", "c/1", 0x200000, 0x1000));
        assertEquals("FAULT", p.dma(STORAGE, null, 0x200000, 8, false, null).status());
        assertEquals(1, p.totals().staleTranslations);
        assertEquals(1, p.totals().invalidations.get("IOTLB_PAGE"));
    }

    @Test
    void atcMustBeInvalidatedToo() {
        setup(NIC, false);
        p.dma(NIC, null, 0x300000, 8, false, null);
        p.apply(new UnmapRange("c/1", 0x200000, 0x400000));
        p.apply(new InvalidateIotlb("dmar0", "c/1", 0, 0));
        p.dma(NIC, null, 0x300000, 8, false, null);
        assertEquals(1, p.totals().staleTranslations, "ATC still held it");
        p.apply(new InvalidateAtc(NIC, 0x300000, 0x1000));
        assertEquals("FAULT", p.dma(NIC, null, 0x300000, 8, false, null).status());
    }

    @Test
    void blockEntriesAreRemovedByAnyOverlappingInvalidation() {
        setup(STORAGE, true);
        p.dma(STORAGE, null, 0x3ff000, 8, false, null);
        assertEquals(DomainTable.SZ_2M, p.iotlb("dmar0").entries().get(0).leaf().size());
        assertEquals(1, p.iotlb("dmar0").invalidate("c/1", 0x250000, 0x1000), "a 4K invalidation inside a 2M block drops the block");
        assertEquals(0, p.iotlb("dmar0").size());
    }

    @Test
    void domainSelectiveInvalidationSparesOtherDomains() {
        setup(STORAGE, false);
        p.apply(new DomainCreate("c/2", "dmar0", 48, false));
        p.apply(new MapRange("c/2", 0x200000, 0x1000, 0x300000000L, true, true));
        p.apply(new AttachDevice(STORAGE, 3, "c/2"));
        p.dma(STORAGE, null, 0x200000, 8, false, null);
        p.dma(STORAGE, 3, 0x200000, 8, false, null);
        assertEquals(2, p.iotlb("dmar0").size());
        p.apply(new InvalidateIotlb("dmar0", "c/2", 0, 0));
        assertEquals(1, p.iotlb("dmar0").size());
        assertEquals("c/1", p.iotlb("dmar0").entries().get(0).domain());
    }

    @Test
    void detachBlocksAndDestroyDropsEverything() {
        setup(NIC, false);
        p.dma(NIC, null, 0x200000, 8, false, null);
        String before = p.digest();
        p.apply(new AttachDevice(NIC, null, null));
        assertEquals("FAULT", p.dma(NIC, null, 0x200000, 8, false, null).status());
        assertEquals(0, p.atc(NIC).size());
        assertNotEquals(before, p.digest());
        p.apply(new DomainDestroy("c/1"));
        assertEquals(0, p.iotlb("dmar0").size());
        assertThrows(IllegalArgumentException.class, () -> p.apply(new MapRange("c/1", 0, 0x1000, 0, true, true)));
    }

    @Test
    void hugeLeavesOnlyWhenAlignedAndAllowed() {
        DomainTable t = new DomainTable("d", "dmar0", 48, true);
        t.map(0x1ff000, 0x202000, 0x1001ff000L, true, true);
        assertEquals(DomainTable.SZ_4K, t.walk(0x1ff000).size());
        assertEquals(DomainTable.SZ_2M, t.walk(0x200000).size());
        assertEquals(DomainTable.SZ_4K, t.walk(0x400000).size());
        assertEquals(3, t.size());
        DomainTable small = new DomainTable("d", "dmar0", 48, false);
        small.map(0x200000, 0x200000, 0x200000, true, true);
        assertEquals(512, small.size());
        assertThrows(IllegalArgumentException.class, () -> small.map(1L << 48, 0x1000, 0, true, true));
    }

    @Test
    void dirtyTrackingReportsEveryWriteAfterAClear() {
        setup(STORAGE, false);
        p.dma(STORAGE, null, 0x200000, 4, true, new byte[4]);
        assertEquals(java.util.List.of(), p.readDirty("c/1", 0x200000, 0x400000, false), "not tracking yet");
        p.apply(new dev.iommufd.contract.events.SetDirtyTracking("c/1", true));
        p.dma(STORAGE, null, 0x200ffe, 4, true, new byte[4]); // spans two pages
        p.dma(STORAGE, null, 0x205000, 4, false, null);        // reads do not dirty
        assertEquals(java.util.List.of(0x200000L, 0x201000L), p.readDirty("c/1", 0x200000, 0x400000, true));
        assertEquals(java.util.List.of(0x200000L, 0x201000L), p.readDirty("c/1", 0x200000, 0x400000, false));
        assertEquals(java.util.List.of(), p.readDirty("c/1", 0x200000, 0x400000, false));
        p.dma(STORAGE, null, 0x200000, 4, true, new byte[4]); // cached translation, written again
        assertEquals(java.util.List.of(0x200000L), p.readDirty("c/1", 0x200000, 0x1000, false));
    }
}
