package dev.iommufd.sim.walk;

import static dev.iommufd.sim.walk.ArmTables.RW_USER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.NestedDomainCreate;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.SmmuCommands;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.events.ViommuAlloc;
import dev.iommufd.contract.events.ViommuFree;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.cache.CachedTranslation;
import dev.iommufd.sim.dma.DmaEngine;
import dev.iommufd.sim.dma.DmaJob;
import dev.iommufd.sim.dma.DmaResult;
import dev.iommufd.sim.dma.DmaStep;
import dev.iommufd.sim.pagetable.Leaf;
import dev.iommufd.sim.platform.Platform;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Nested domains wired into the platform: guest stage-1 tables hand-built in host memory, the
 * stage-2 parent programmed by MAP events; combined IOTLB entries and every invalidation that must
 * drop them; vIOMMU VMIDs and SMMUv3 commands; recorded faults as hardware events; PRI through a
 * nested domain.
 */
class NestedPlatformTest {
    static final long SZ_4K = 4096;
    static final long SZ_1G = 1L << 30;
    static final long DATA_GPA = 0x4000_0000L;
    static final long DATA_HOST = 0x1_0000_0000L;
    static final long IOVA = 0x0000_1234_5678_9000L;
    static final String STORAGE = "0000:05:00.0";  // dmar0, no ATS, no PRI
    static final String NIC = "0000:03:00.0";      // dmar0, ATS, PRI 32
    static final String SMMU_DEV = "0001:00:01.0"; // smmu0, SID 8, ATS, PRI
    static final int ASID = 0x42;

    final GuestRam ram = new GuestRam(0x8000_0000L).ram(DATA_GPA, SZ_1G, DATA_HOST, true);
    Platform p;

    /** The platform over the guest's memory, with the guest RAM's stage 2 as paging domain {@code parent}. */
    Platform platform(String parent, String iommu) {
        p = new Platform(Topology.defaults(), ram.host);
        p.apply(new DomainCreate(parent, iommu, 48, true));
        for (Leaf l : ram.parent.leaves()) {
            p.apply(new MapRange(parent, l.iova(), l.size(), l.pa(), l.read(), l.write()));
        }
        return p;
    }

    /** Guest table pages are mapped into the stage 2 as the builders allocate them: program those MAPs too. */
    void syncParent() {
        for (Leaf l : ram.parent.leaves()) {
            p.apply(new MapRange("c/1", l.iova(), l.size(), l.pa(), l.read(), l.write()));
        }
    }

    X86Tables vtdNested(Integer faultId, String rid) {
        X86Tables pt = new X86Tables(ram, 4);
        platform("c/1", "dmar0");
        p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", null, faultId,
                new NestedDomainCreate.VtdS1(pt.root, 48, false, false, true), null));
        p.apply(new AttachDevice(rid, null, "c/2"));
        return pt;
    }

    List<CachedTranslation> iotlb(String iommu, String domain) {
        return p.iotlb(iommu).entries().stream().filter(e -> e.domain().equals(domain)).toList();
    }

    DmaStep.Done step(DmaJob job) {
        return assertInstanceOf(DmaStep.Done.class, p.step(job));
    }

    // ---- VT-d first stage over a stage-2 parent ----

    @Test
    void vtdNestedDmaWalksGuestTablesAndCachesOneCombinedEntry() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        assertEquals("OK", p.dma(STORAGE, null, IOVA + 0x10, 3, true, new byte[] {7, 8, 9}).status());
        assertArrayEquals(new byte[] {7, 8, 9}, ram.host.read(DATA_HOST + 0x5010, 3));
        List<CachedTranslation> e = iotlb("dmar0", "c/2");
        assertEquals(1, e.size());
        assertEquals(new Leaf(IOVA, SZ_4K, DATA_HOST + 0x5000, true, true, 0), e.get(0).leaf());
        DmaResult read = p.dma(STORAGE, null, IOVA + 0x10, 3, false, null);
        assertEquals("BwgJ", read.data());
        assertEquals(1, p.totals().walks);
        assertEquals(1, p.totals().iotlbHits);
        assertEquals(0, p.totals().staleTranslations);
    }

    /**
     * ioas-service's PASID attach of a VT-d nested HWPT (intel_nested_set_dev_pasid): the RID stays
     * on the parent (its own IPA space), PASID 5 gets the guest's first stage over it. A DMA with
     * that PASID walks stage 1 then stage 2; the combined entries are tagged with the PASID in the
     * IOTLB and the ATC; another PASID is blocked; a PASID detach blocks it and drops the ATC.
     */
    @Test
    void pasidAttachedToAVtdNestedDomainWalksStage1ThenStage2() {
        X86Tables pt = new X86Tables(ram, 4);
        platform("c/1", "dmar0");
        p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", null, null,
                new NestedDomainCreate.VtdS1(pt.root, 48, false, false, true), null));
        p.apply(new AttachDevice(NIC, null, "c/1"));
        p.apply(new AttachDevice(NIC, 5, "c/2"));
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        assertEquals("OK", p.dma(NIC, 5, IOVA + 0x10, 3, true, new byte[] {4, 5, 6}).status());
        assertArrayEquals(new byte[] {4, 5, 6}, ram.host.read(DATA_HOST + 0x5010, 3), "stage 1 gave the GPA, stage 2 the host page");
        assertEquals(1, p.totals().walks);
        assertEquals(1, p.totals().configMisses, "the PASID entry was fetched once");
        CachedTranslation e = iotlb("dmar0", "c/2").get(0);
        assertEquals(5, e.pasid());
        assertEquals(new Leaf(IOVA, SZ_4K, DATA_HOST + 0x5000, true, true, 0), e.leaf());
        assertEquals(List.of(5), p.atc(NIC).entries().stream().map(CachedTranslation::pasid).toList());
        assertEquals("BAUG", p.dma(NIC, 5, IOVA + 0x10, 3, false, null).data(), "the ATC serves it now");
        assertEquals(1, p.totals().walks);
        // the RID translates through the parent alone: the guest IOVA is no IPA there
        assertEquals("FAULT", p.dma(NIC, null, IOVA + 0x10, 3, false, null).status());
        assertEquals("BAUG", p.dma(NIC, null, DATA_GPA + 0x5010, 3, false, null).data());
        // another PASID is not attached
        DmaResult other = p.dma(NIC, 6, IOVA, 1, false, null);
        assertEquals("FAULT", other.status());
        assertTrue(other.reason().startsWith("DMA blocked"), other.reason());
        // PASID detach: blocked, the device's ATC dropped, the RID unaffected
        p.apply(new AttachDevice(NIC, 5, null));
        assertEquals(List.of(), p.atc(NIC).entries());
        assertTrue(p.dma(NIC, 5, IOVA, 1, false, null).reason().startsWith("DMA blocked"));
        assertEquals("BAUG", p.dma(NIC, null, DATA_GPA + 0x5010, 3, false, null).data());
        assertEquals(0, p.totals().staleTranslations);
    }

    @Test
    void parentUnmapIsStaleUntilTheParentsInvalidationDropsTheNestedEntry() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        assertEquals("OK", p.dma(STORAGE, null, IOVA, 4, false, null).status());
        p.apply(new UnmapRange("c/1", DATA_GPA, SZ_1G));
        assertEquals("OK", p.dma(STORAGE, null, IOVA, 4, false, null).status(), "served from the IOTLB");
        assertEquals(1, p.totals().staleTranslations);
        // ioas-service invalidates the parent only: the combined entry must go as well
        p.apply(new InvalidateIotlb("dmar0", "c/1", DATA_GPA, SZ_1G));
        assertEquals(List.of(), iotlb("dmar0", "c/2"));
        DmaJob job = new DmaJob(STORAGE, null, IOVA, 4, false, null, false);
        DmaResult r = step(job).result();
        assertEquals("FAULT", r.status());
        assertTrue(r.eventRecorded());
        assertEquals(1, p.totals().staleTranslations);
        HwEvent ev = job.events().get(0);
        assertEquals(VtdFirstLevelWalker.FR_SS_PAGING_ENTRY_RW, ev.code());
        assertEquals("c/2", ev.domain());
    }

    @Test
    void nestedInvalidationIsNeededForAGuestPteChange() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        ram.host.write(DATA_HOST + 0x5000, new byte[] {1});
        ram.host.write(DATA_HOST + 0x6000, new byte[] {2});
        assertEquals("AQ==", p.dma(STORAGE, null, IOVA, 1, false, null).data());
        pt.map(IOVA, DATA_GPA + 0x6000, SZ_4K, X86Tables.TABLE);
        assertEquals("AQ==", p.dma(STORAGE, null, IOVA, 1, false, null).data(), "the IOTLB keeps the old PTE");
        p.apply(new InvalidateIotlb("dmar0", "c/1", IOVA, SZ_4K));
        assertEquals(0, iotlb("dmar0", "c/2").size(), "parent-scoped invalidation drops nested entries whole");
        p.dma(STORAGE, null, IOVA, 1, false, null);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        p.apply(new InvalidateIotlb("dmar0", "c/2", IOVA + SZ_4K, SZ_4K));
        assertEquals("Ag==", p.dma(STORAGE, null, IOVA, 1, false, null).data(), "another page's invalidation keeps it");
        p.apply(new InvalidateIotlb("dmar0", "c/2", IOVA, SZ_4K));
        assertEquals("AQ==", p.dma(STORAGE, null, IOVA, 1, false, null).data());
    }

    @Test
    void vtdFirstStageFaultIsARecordedEvent() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA + SZ_4K, DATA_GPA, SZ_4K, X86Tables.TABLE);
        syncParent();
        DmaJob job = new DmaJob(STORAGE, null, IOVA, 4, true, new byte[4], false);
        DmaResult r = step(job).result();
        assertEquals("FAULT", r.status());
        assertTrue(r.reason().startsWith("FS_PAGING_ENTRY_P"), r.reason());
        assertTrue(r.eventRecorded());
        HwEvent ev = job.events().get(0);
        assertEquals(new HwEvent("dmar0", STORAGE, null, null, "c/2", "FS_PAGING_ENTRY_P", 0x71, IOVA,
                List.of(IOVA, 0x0500L | 0x71L << 32 | 1L << 63)), ev);
    }

    @Test
    void priThroughANestedDomainLetsTheGuestMapThePage() {
        X86Tables pt = vtdNested(9, NIC);
        pt.map(IOVA + SZ_4K, DATA_GPA, SZ_4K, X86Tables.TABLE); // the guest has the page tables, not the page
        syncParent();
        ram.host.write(DATA_HOST + 0x7000, new byte[] {42});
        DmaEngine engine = new DmaEngine(p, e -> {
            PageRequest r = (PageRequest) e.payload();
            assertEquals(9, r.faultId());
            assertEquals("c/2", r.domain());
            new Thread(() -> {
                synchronized (p) {
                    pt.map(r.addr(), DATA_GPA + 0x7000, SZ_4K, X86Tables.TABLE); // the guest's fault handler
                    p.apply(new PageResponse("dmar0", NIC, null, r.grpid(), "SUCCESS"));
                }
            }).start();
        }, Clock.systemUTC());
        DmaResult r = engine.run(new DmaJob(NIC, null, IOVA, 1, false, null, false), 5000);
        assertEquals("OK", r.status(), r.reason());
        assertEquals("Kg==", r.data());
        assertEquals(1, r.pageRequests());
    }

    @Test
    void theDmaEnginePublishesTheRecordedEventInTheDomainsContext() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA + SZ_4K, DATA_GPA, SZ_4K, X86Tables.TABLE);
        syncParent();
        List<dev.iommufd.contract.events.EventEnvelope> out = new java.util.ArrayList<>();
        DmaResult r = new DmaEngine(p, out::add, Clock.systemUTC()).run(new DmaJob(STORAGE, null, IOVA, 4, false, null, false), 100);
        assertEquals("FAULT", r.status());
        assertTrue(r.eventRecorded());
        assertEquals(1, out.size());
        assertEquals("c", out.get(0).contextId());
        assertEquals("dmar0", out.get(0).key());
        HwEvent ev = assertInstanceOf(HwEvent.class, out.get(0).payload());
        assertEquals(List.of(IOVA, 0x0500L | 0x71L << 32 | 1L << 62 | 1L << 63), ev.evt(), "a read sets T");
    }

    @Test
    void writesThroughANestedDomainDirtyTheParentAtTheIpa() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        p.apply(new dev.iommufd.contract.events.SetDirtyTracking("c/1", true));
        assertEquals("OK", p.dma(STORAGE, null, IOVA + 0x20, 2, true, new byte[2]).status());
        assertEquals(List.of(DATA_GPA + 0x5000), p.readDirty("c/1", DATA_GPA, SZ_1G, false));
        assertEquals("OK", p.dma(STORAGE, null, IOVA + 0x40, 2, false, null).status());
        assertEquals(List.of(), p.readDirty("c/1", DATA_GPA, SZ_1G, false), "a read dirties nothing");
        assertEquals("OK", p.dma(STORAGE, null, IOVA + 0x60, 2, true, new byte[2]).status());
        assertEquals(2, p.totals().iotlbHits);
        assertEquals(List.of(DATA_GPA + 0x5000), p.readDirty("c/1", DATA_GPA, SZ_1G, true), "a write served from the IOTLB dirties too");
    }

    @Test
    void aNestedDomainWhoseParentWasDestroyedTranslatesNothing() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        p.apply(new dev.iommufd.contract.events.DomainDestroy("c/1"));
        DmaResult r = p.dma(STORAGE, null, IOVA, 4, false, null);
        assertEquals("FAULT", r.status());
        assertTrue(r.reason().contains("no mapping"), r.reason());
    }

    @Test
    void badNestedDomainsAreRejectedAndChangeNothing() {
        platform("c/1", "dmar0");
        String before = p.digest();
        NestedDomainCreate.VtdS1 vtd = new NestedDomainCreate.VtdS1(0x1000, 48, false, false, true);
        assertThrows(IllegalArgumentException.class, () -> p.apply(new NestedDomainCreate("c/2", "dmar0", "c/9", null, null, vtd, null)));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new NestedDomainCreate("c/2", "smmu0", "c/1", null, null, vtd, null)));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", null, null, null, null)));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", "c/v9", null, vtd, null)));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", null, null,
                new NestedDomainCreate.VtdS1(0x1000, 52, false, false, true), null)));
        assertEquals(before, p.digest());
        p.apply(new NestedDomainCreate("c/2", "dmar0", "c/1", null, null, vtd, null));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new MapRange("c/2", 0, SZ_4K, 0, true, true)), "no MAP on a nested domain");
    }

    // ---- SMMUv3 stage 1 over a stage-2 parent, vIOMMU VMIDs, commands ----

    ArmTables smmuNested() {
        ArmTables pt = new ArmTables(ram, 16);
        long[] ste = ArmTables.ste(pt.writeCd(pt.cd0(ASID, 5)));
        platform("c/1", "smmu0");
        p.apply(new ViommuAlloc("c/v1", "smmu0", "c/1", "ARM_SMMUV3"));
        p.apply(new NestedDomainCreate("c/3", "smmu0", "c/1", "c/v1", null, null, new NestedDomainCreate.SmmuSte(ste[0], ste[1])));
        p.apply(new AttachDevice(SMMU_DEV, null, "c/3"));
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, RW_USER);
        pt.map(IOVA + SZ_4K, DATA_GPA + 0x6000, SZ_4K, RW_USER);
        syncParent();
        return pt;
    }

    /** Refills the IOTLB with both pages (the ATC is emptied first, else it would serve them). */
    void touch() {
        p.apply(new InvalidateAtc(SMMU_DEV, 0, 0));
        assertEquals("OK", p.dma(SMMU_DEV, null, IOVA, 4, false, null).status());
        assertEquals("OK", p.dma(SMMU_DEV, null, IOVA + SZ_4K, 4, false, null).status());
    }

    static SmmuCommands.Cmd tlbi(int op, int asid, int vmid, long addr, long w1extra) {
        return new SmmuCommands.Cmd(op | (long) vmid << 32 | (long) asid << 48, addr | w1extra);
    }

    void cmds(SmmuCommands.Cmd... c) {
        p.apply(new SmmuCommands("smmu0", "c/v1", List.of(c)));
    }

    @Test
    void smmuNestedDmaCachesEntriesTaggedWithTheCdAsid() {
        smmuNested();
        touch();
        List<CachedTranslation> e = iotlb("smmu0", "c/3");
        assertEquals(2, e.size());
        assertTrue(e.stream().allMatch(x -> x.asid() == ASID));
        assertEquals(1, p.vmid("c/v1"));
        assertEquals(2, p.atc(SMMU_DEV).entries().size(), "ATC filled too");
    }

    @Test
    void tlbiNhScopesFollowAsidVmidAndRange() {
        smmuNested();
        touch();
        cmds(tlbi(0x11, ASID + 1, 0, 0, 0));                            // another ASID
        assertEquals(2, iotlb("smmu0", "c/3").size());
        cmds(tlbi(0x12, ASID, 0, IOVA + SZ_4K, 0));                     // TLBI_NH_VA, TG=0: one page
        assertEquals(1, iotlb("smmu0", "c/3").size());
        touch();
        cmds(tlbi(0x13, 0, 0, IOVA, 1L << 10 | 0));                     // VAA, TG=4K, NUM=0, SCALE=0: one page
        assertEquals(1, iotlb("smmu0", "c/3").size());
        touch();
        cmds(new SmmuCommands.Cmd(0x13 | 1L << 12, IOVA | 1L << 10));   // VAA, NUM=1: two pages
        assertEquals(0, iotlb("smmu0", "c/3").size());
        touch();
        cmds(tlbi(0x11, ASID, 0, 0, 0));
        assertEquals(0, iotlb("smmu0", "c/3").size());
        touch();
        cmds(tlbi(0x10, 0, 0, 0, 0));
        assertEquals(0, iotlb("smmu0", "c/3").size());
        var inv = p.counters().get("smmu0").invalidations;
        assertEquals(2L, inv.get("TLBI_NH_ASID"));
        assertEquals(2L, inv.get("TLBI_NH_VAA"));
        assertEquals(1L, inv.get("TLBI_NH_VA"));
        assertEquals(1L, inv.get("TLBI_NH_ALL"));
    }

    @Test
    void anotherVmidsCommandsLeaveTheseEntriesAndFreeDropsThem() {
        smmuNested();
        p.apply(new ViommuAlloc("c/v2", "smmu0", "c/1", "ARM_SMMUV3"));
        assertEquals(2, p.vmid("c/v2"));
        touch();
        p.apply(new SmmuCommands("smmu0", "c/v2", List.of(tlbi(0x10, 0, 0, 0, 0), tlbi(0x11, ASID, 0, 0, 0))));
        assertEquals(2, iotlb("smmu0", "c/3").size());
        p.apply(new ViommuFree("c/v1"));
        assertEquals(0, iotlb("smmu0", "c/3").size());
        assertEquals(-1, p.vmid("c/v1"));
    }

    @Test
    void nsnhAllAtcInvAndCfgi() {
        smmuNested();
        touch();
        int atcBefore = p.atc(SMMU_DEV).entries().size();
        assertEquals(2, atcBefore);
        cmds(new SmmuCommands.Cmd(0x40 | 8L << 32, IOVA | 0));           // ATC_INV SID 8, SIZE 0: one page
        assertEquals(1, p.atc(SMMU_DEV).entries().size());
        cmds(new SmmuCommands.Cmd(0x40 | 8L << 32, 52));                 // SIZE_ALL
        assertEquals(0, p.atc(SMMU_DEV).entries().size());
        cmds(new SmmuCommands.Cmd(0x03 | 8L << 32, 0), new SmmuCommands.Cmd(0x05 | 8L << 32, 0), new SmmuCommands.Cmd(0x06 | 8L << 32, 0));
        assertEquals(2, iotlb("smmu0", "c/3").size(), "CFGI_* touch no IOTLB entry");
        cmds(new SmmuCommands.Cmd(0x30, 0));
        assertEquals(0, p.iotlb("smmu0").entries().size());
        var inv = p.counters().get("smmu0").invalidations;
        assertEquals(2L, inv.get("ATC_INV"));
        assertEquals(1L, inv.get("CFGI_STE"));
        assertEquals(1L, inv.get("CFGI_CD"));
        assertEquals(1L, inv.get("CFGI_CD_ALL"));
        assertEquals(1L, inv.get("TLBI_NSNH_ALL"));
    }

    @Test
    void aMalformedBatchChangesNothing() {
        smmuNested();
        touch();
        var before = p.counters().get("smmu0").invalidations.toString();
        assertThrows(IllegalArgumentException.class, () -> cmds(tlbi(0x10, 0, 0, 0, 0), new SmmuCommands.Cmd(0xff, 0)));
        assertThrows(IllegalArgumentException.class, () -> cmds(tlbi(0x10, 0, 0, 0, 0), new SmmuCommands.Cmd(0x40 | 0x77L << 32, 0)));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new SmmuCommands("smmu0", "c/v9", List.of(tlbi(0x10, 0, 0, 0, 0)))));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new SmmuCommands("dmar0", "c/v1", List.of(tlbi(0x10, 0, 0, 0, 0)))));
        assertEquals(2, iotlb("smmu0", "c/3").size());
        assertEquals(before, p.counters().get("smmu0").invalidations.toString());
    }

    @Test
    void theCachedCdIsUsedUntilCfgiCdDropsIt() {
        ArmTables pt = new ArmTables(ram, 16);
        long cd = pt.writeCd(pt.cd0(ASID, 5));
        long[] ste = ArmTables.ste(cd);
        platform("c/1", "smmu0");
        p.apply(new ViommuAlloc("c/v1", "smmu0", "c/1", "ARM_SMMUV3"));
        p.apply(new NestedDomainCreate("c/3", "smmu0", "c/1", "c/v1", null, null, new NestedDomainCreate.SmmuSte(ste[0], ste[1])));
        p.apply(new AttachDevice(SMMU_DEV, null, "c/3"));
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, RW_USER);
        pt.map(IOVA + SZ_4K, DATA_GPA + 0x6000, SZ_4K, RW_USER);
        syncParent();
        touch();
        assertEquals(1, p.totals().configMisses);
        assertEquals(1, p.totals().configHits, "the second page's walk used the cached STE+CD");
        pt.writeCdAt(cd, pt.cd0(ASID + 1, 5)); // the guest edits its CD ...
        cmds(new SmmuCommands.Cmd(0x30, 0));
        touch();
        assertTrue(iotlb("smmu0", "c/3").stream().allMatch(e -> e.asid() == ASID), "... without CFGI_CD the old CD is still used");
        cmds(new SmmuCommands.Cmd(0x05 | 8L << 32, 0), new SmmuCommands.Cmd(0x30, 0)); // CFGI_CD SID 8 SSID 0, flush
        assertEquals(0, p.configCacheSize("smmu0"));
        touch();
        assertTrue(iotlb("smmu0", "c/3").stream().allMatch(e -> e.asid() == ASID + 1), "after CFGI_CD the new CD is read");
        cmds(new SmmuCommands.Cmd(0x03 | 8L << 32, 0), new SmmuCommands.Cmd(0x30, 0));
        assertEquals(0, p.configCacheSize("smmu0"), "CFGI_STE drops the SID's entries");
        touch();
        assertEquals(1, p.configCacheSize("smmu0"));
        cmds(new SmmuCommands.Cmd(0x03 | 0x10L << 32, 0), new SmmuCommands.Cmd(0x05 | 8L << 32 | 1L << 12, 0));
        assertEquals(1, p.configCacheSize("smmu0"), "another SID or another SSID leave it");
        p.apply(new AttachDevice(SMMU_DEV, null, null));
        assertEquals(0, p.configCacheSize("smmu0"), "ATTACH rewrites the STE and invalidates it");
    }

    @Test
    void vtdPasidEntryIsCachedPerRequesterAndDroppedByAttach() {
        X86Tables pt = vtdNested(null, STORAGE);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        pt.map(IOVA + SZ_4K, DATA_GPA + 0x6000, SZ_4K, X86Tables.TABLE);
        syncParent();
        assertEquals("OK", p.dma(STORAGE, null, IOVA, 4, false, null).status());
        assertEquals("OK", p.dma(STORAGE, null, IOVA + SZ_4K, 4, false, null).status());
        assertEquals(1, p.totals().configMisses);
        assertEquals(1, p.totals().configHits);
        assertEquals(1, p.configCacheSize("dmar0"));
        p.apply(new AttachDevice(STORAGE, null, "c/1"));
        assertEquals(0, p.configCacheSize("dmar0"));
    }

    @Test
    void smmuStage1TranslationFaultIsARecordedEventWithTheArchitecturalLayout() {
        smmuNested();
        DmaJob job = new DmaJob(SMMU_DEV, null, IOVA + 0x10_0000, 4, false, null, false);
        DmaResult r = step(job).result();
        assertEquals("FAULT", r.status());
        assertTrue(r.eventRecorded());
        HwEvent ev = job.events().get(0);
        assertEquals("F_TRANSLATION", ev.type());
        assertEquals(8, ev.sid());
        assertEquals(List.of(0x10L | 8L << 32, 1L << 35 | 2L << 40, IOVA + 0x10_0000, 0L), ev.evt());
    }

    @Test
    void vmidsAreGivenInStreamOrderSoReplayMatches() {
        List<EventPayload> events = List.of(new DomainCreate("c/1", "smmu0", 48, false), new ViommuAlloc("c/a", "smmu0", "c/1", "ARM_SMMUV3"),
                new ViommuAlloc("c/b", "smmu0", "c/1", "ARM_SMMUV3"), new ViommuFree("c/a"), new ViommuAlloc("c/c", "smmu0", "c/1", "ARM_SMMUV3"),
                new ViommuAlloc("c/b", "smmu0", "c/1", "ARM_SMMUV3"));
        Platform a = new Platform(Topology.defaults(), ram.host);
        Platform b = new Platform(Topology.defaults(), ram.host);
        events.forEach(a::apply);
        events.forEach(b::apply);
        assertEquals(2, a.vmid("c/b"), "a repeated alloc keeps its VMID");
        assertEquals(3, a.vmid("c/c"));
        assertEquals(a.digest(), b.digest());
        assertThrows(IllegalArgumentException.class, () -> a.apply(new ViommuAlloc("c/d", "smmu0", "c/none", "ARM_SMMUV3")));
    }

    @Test
    void atcInvalidationAndDeviceTlbStillWorkForNestedEntries() {
        X86Tables pt = vtdNested(null, NIC);
        pt.map(IOVA, DATA_GPA + 0x5000, SZ_4K, X86Tables.TABLE);
        syncParent();
        assertEquals("OK", p.dma(NIC, null, IOVA, 4, false, null).status());
        assertEquals(1, p.atc(NIC).entries().size());
        p.apply(new InvalidateAtc(NIC, IOVA, SZ_4K));
        assertEquals(0, p.atc(NIC).entries().size());
    }
}
