package dev.iommufd.sim.dma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.platform.Platform;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** DMA with PRI: page requests, waiting without the lock, SUCCESS/INVALID/timeout/detach, budget. */
class DmaEngineTest {
    static final String NIC = "0000:03:00.0";      // dmar0, PRI 32, PASID
    static final String STORAGE = "0000:05:00.0";  // dmar0, no PRI
    static final long PA = 0x7000_0000L;

    final HostMemory mem = new HostMemory();
    final Platform p = new Platform(Topology.defaults(), mem);
    final List<EventEnvelope> sent = new CopyOnWriteArrayList<>();
    /** What the "fault handler" does with each page request, applied on another thread under the lock. */
    volatile Function<PageRequest, List<EventPayload>> handler = r -> List.of();
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    final DmaEngine engine = new DmaEngine(p, e -> {
        sent.add(e);
        if (e.payload() instanceof PageRequest r) {
            Thread t = new Thread(() -> {
                for (EventPayload x : handler.apply(r)) {
                    synchronized (p) {
                        p.apply(x);
                    }
                }
            });
            threads.add(t);
            t.start();
        }
    }, Clock.systemUTC());

    void domain(Integer faultId, String rid, Integer pasid) {
        p.apply(new DomainCreate("c/1", "dmar0", 48, false, faultId));
        p.apply(new AttachDevice(rid, pasid, "c/1"));
    }

    static PageResponse answer(PageRequest r, String code) {
        return new PageResponse(r.iommu(), r.rid(), r.pasid(), r.grpid(), code);
    }

    DmaResult run(String rid, Integer pasid, long iova, int len, boolean write, byte[] data, long timeoutMs) {
        return engine.run(new DmaJob(rid, pasid, iova, len, write, data, false), timeoutMs);
    }

    @Test
    void missSendsAPageRequestAndSuccessRetriesTheAccess() {
        domain(3, NIC, null);
        handler = r -> List.of(new MapRange("c/1", r.addr(), 4096, PA, true, true), answer(r, "SUCCESS"));
        DmaResult res = run(NIC, null, 0x5010, 4, true, new byte[] {1, 2, 3, 4}, 5000);
        assertEquals("OK", res.status(), res::reason);
        assertEquals(1, res.pageRequests());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, mem.read(PA + 0x10, 4));
        assertEquals(1, sent.size());
        EventEnvelope e = sent.get(0);
        assertEquals("dmar0", e.key());
        assertEquals("c", e.contextId());
        assertEquals("hw-sim", e.source());
        assertEquals(new PageRequest("dmar0", NIC, null, 0, false, true, false, false, 0x5000, true, "c/1", 3), e.payload());
        assertEquals(1, p.totals().pageRequests);
        assertEquals(0, p.totals().faults);
        assertEquals(0, p.pri(NIC).outstandingRequests());
    }

    @Test
    void eachMissingPageOfALongDmaGetsItsOwnRequest() {
        domain(3, NIC, null);
        handler = r -> List.of(new MapRange("c/1", r.addr(), 4096, PA + r.addr(), true, true), answer(r, "SUCCESS"));
        mem.write(PA + 0x1ffe, new byte[] {9, 8});
        mem.write(PA + 0x2000, new byte[] {7, 6});
        DmaResult res = run(NIC, null, 0x1ffe, 4, false, null, 5000);
        assertEquals("OK", res.status(), res::reason);
        assertEquals(2, res.pageRequests());
        assertEquals("CQgHBg==", res.data());
        assertEquals(List.of(0x1000L, 0x2000L), sent.stream().map(x -> ((PageRequest) x.payload()).addr()).toList());
    }

    @Test
    void pasidReadRequestCarriesPasidReadAndPriv() {
        domain(4, NIC, 5);
        handler = r -> List.of(new MapRange("c/1", r.addr(), 4096, PA, true, false), answer(r, "SUCCESS"));
        DmaResult res = engine.run(new DmaJob(NIC, 5, 0x9000, 8, false, null, true), 5000);
        assertEquals("OK", res.status(), res::reason);
        PageRequest r = (PageRequest) sent.get(0).payload();
        assertEquals(5, r.pasid());
        assertTrue(r.read());
        assertTrue(r.priv());
        assertEquals(false, r.write());
    }

    @Test
    void invalidAbortsTheDmaAndWritesNothing() {
        domain(3, NIC, null);
        handler = r -> List.of(new MapRange("c/1", r.addr(), 4096, PA, true, true), answer(r, "INVALID"));
        DmaResult res = run(NIC, null, 0x5000, 2, true, new byte[] {5, 5}, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("INVALID"), res.reason());
        assertArrayEquals(new byte[2], mem.read(PA, 2));
        assertEquals(1, p.totals().faults);
        assertEquals(0, p.pri(NIC).outstandingRequests());
    }

    @Test
    void successWithoutAMappingFaultsAfterOneRequest() {
        domain(3, NIC, null);
        handler = r -> List.of(answer(r, "SUCCESS"));
        DmaResult res = run(NIC, null, 0x5000, 2, false, null, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("still no mapping"), res.reason());
        assertEquals(1, sent.size());
    }

    @Test
    void noAnswerTimesOutAndALateResponseIsUnknown() {
        domain(3, NIC, null);
        long t0 = System.nanoTime();
        DmaResult res = run(NIC, null, 0x5000, 2, false, null, 150);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("page request timed out"), res.reason());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150));
        assertEquals(0, p.pri(NIC).outstandingRequests());
        p.apply(answer((PageRequest) sent.get(0).payload(), "SUCCESS"));
        assertEquals(1, p.totals().unknownResponses);
    }

    @Test
    void detachWhileWaitingEndsTheDmaAndTheGroup() {
        domain(3, NIC, null);
        handler = r -> List.of(new AttachDevice(NIC, null, null));
        DmaResult res = run(NIC, null, 0x5000, 2, false, null, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("device detached"), res.reason());
        p.apply(answer((PageRequest) sent.get(0).payload(), "SUCCESS"));
        assertEquals(1, p.totals().unknownResponses);
        assertEquals(0, p.pri(NIC).outstandingRequests());
    }

    @Test
    void destroyingTheDomainWhileWaitingEndsTheDmaToo() {
        domain(3, NIC, null);
        handler = r -> List.of(new dev.iommufd.contract.events.DomainDestroy("c/1"));
        DmaResult res = run(NIC, null, 0x5000, 2, false, null, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("device detached"), res.reason());
        assertEquals(0, p.pri(NIC).outstandingRequests());
    }

    @Test
    void replacingThePasidAttachmentEndsOnlyThatPasidsGroups() {
        domain(3, NIC, 5);
        p.apply(new AttachDevice(NIC, null, "c/1"));
        engine.injectPageRequest(NIC, null, 40, true, false, false, false, 0x1000, true);
        p.apply(new DomainCreate("c/2", "dmar0", 48, false, 4));
        handler = r -> List.of(new AttachDevice(NIC, 5, "c/2"));
        DmaResult res = run(NIC, 5, 0x5000, 2, false, null, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("device detached"), res.reason());
        assertEquals(1, p.pri(NIC).outstandingRequests(), "the RID's injected group is still outstanding");
    }

    @Test
    void withoutFaultQueueOrWithoutPriAMissIsAPlainFault() {
        domain(null, NIC, null);
        DmaResult res = run(NIC, null, 0x5000, 2, false, null, 5000);
        assertEquals("FAULT", res.status());
        assertTrue(res.reason().contains("no mapping"), res.reason());
        p.apply(new DomainCreate("c/2", "dmar0", 48, false, 1));
        p.apply(new AttachDevice(STORAGE, null, "c/2"));
        assertEquals("FAULT", run(STORAGE, null, 0x5000, 2, false, null, 5000).status());
        assertEquals(0, sent.size());
        assertEquals(0, p.totals().pageRequests);
        assertEquals(2, p.totals().faults);
    }

    @Test
    void fullBudgetMakesTheDmaWaitForASlot() throws Exception {
        domain(3, NIC, null);
        int budget = p.pri(NIC).budget();
        for (int g = 0; g < budget; g++) {
            engine.injectPageRequest(NIC, null, 100 + g, true, false, false, false, 0x100000L * g, true);
        }
        assertEquals(budget, sent.size());
        DmaResult starved = run(NIC, null, 0x5000, 2, false, null, 100);
        assertEquals("FAULT", starved.status());
        assertTrue(starved.reason().contains("budget"), starved.reason());
        assertEquals(budget, sent.size(), "no request beyond the budget");

        handler = r -> List.of(new MapRange("c/1", r.addr(), 4096, PA, true, true), answer(r, "SUCCESS"));
        DmaResult[] out = new DmaResult[1];
        CountDownLatch done = new CountDownLatch(1);
        Thread dma = new Thread(() -> {
            out[0] = run(NIC, null, 0x5000, 2, false, null, 5000);
            done.countDown();
        });
        dma.start();
        Thread.sleep(200);
        assertEquals(budget, sent.size(), "still waiting for a slot");
        synchronized (p) {
            p.apply(new PageResponse("dmar0", NIC, null, 100, "SUCCESS"));
        }
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals("OK", out[0].status(), out[0].reason());
        assertEquals(budget + 1, sent.size());
    }

    @Test
    void injectionNeedsAnAttachedHwptWithFaultQueue() {
        assertThrows(IllegalArgumentException.class, () -> engine.injectPageRequest(NIC, null, 1, true, false, false, false, 0, true));
        p.apply(new DomainCreate("c/1", "dmar0", 48, false, null));
        p.apply(new AttachDevice(NIC, null, "c/1"));
        assertThrows(IllegalArgumentException.class, () -> engine.injectPageRequest(NIC, null, 1, true, false, false, false, 0, true));
        assertThrows(IllegalArgumentException.class, () -> engine.injectPageRequest(STORAGE, null, 1, true, false, false, false, 0, true));
        assertEquals(0, sent.size());
        assertEquals(0, p.totals().pageRequests);
    }

    @Test
    void injectedGroupIsTrackedAndAnsweredOnce() {
        domain(6, NIC, 2);
        EventEnvelope e = engine.injectPageRequest(NIC, 2, 9, true, true, false, false, 0x3456, false);
        assertEquals(new PageRequest("dmar0", NIC, 2, 9, true, true, false, false, 0x3000, false, "c/1", 6), e.payload());
        assertEquals(1, p.pri(NIC).outstandingRequests());
        p.apply(new PageResponse("dmar0", NIC, 2, 9, "SUCCESS"));
        assertEquals(0, p.pri(NIC).outstandingRequests());
        p.apply(new PageResponse("dmar0", NIC, 2, 9, "SUCCESS"));
        assertEquals(1, p.totals().unknownResponses);
    }

    @Test
    void aPageRequestTheBrokerRefusedHoldsNoBudget() {
        domain(3, NIC, null);
        DmaEngine down = new DmaEngine(p, e -> {
            throw new IllegalStateException("broker down");
        }, Clock.systemUTC());
        DmaResult r = down.run(new DmaJob(NIC, null, 0x5000, 2, false, null, false), 5000);
        assertEquals("FAULT", r.status());
        assertTrue(r.reason().contains("not sent: broker down"), r.reason());
        assertThrows(IllegalStateException.class, () -> down.injectPageRequest(NIC, null, 3, true, false, false, false, 0, true));
        assertEquals(0, p.pri(NIC).outstandingRequests());
    }

    @Test
    void replayedOldResponsesAndBadOnesChangeNothing() {
        p.apply(new PageResponse("dmar0", NIC, null, 3, "SUCCESS"));
        p.apply(new PageResponse("dmar0", STORAGE, null, 3, "INVALID"));
        assertEquals(2, p.totals().unknownResponses);
        String digest = p.digest();
        assertThrows(IllegalArgumentException.class, () -> p.apply(new PageResponse("dmar0", NIC, null, 3, "FAILURE")));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new PageResponse("smmu0", NIC, null, 3, "SUCCESS")));
        assertThrows(IllegalArgumentException.class, () -> p.apply(new PageResponse("dmar0", "0000:99:00.0", null, 3, "SUCCESS")));
        assertEquals(2, p.totals().unknownResponses);
        assertEquals(digest, p.digest());
        assertNull(p.pri(STORAGE));
    }

    @Test
    void eventsReachThePublisherInSequenceOrderFromConcurrentThreads() throws Exception {
        // consumers keep the highest sequence per (source, key) and drop anything below it
        List<Thread> ts = new java.util.ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    engine.injectEvent("smmu0", "0001:00:01.0", "F_TRANSLATION", 0x1000L * i, null);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        assertEquals(1600, sent.size());
        for (int i = 1; i < sent.size(); i++) {
            assertTrue(sent.get(i).sequence() > sent.get(i - 1).sequence(), "sequence order at " + i);
        }
    }
}
