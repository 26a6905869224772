package dev.iommufd.sim.pri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The PRI state machine of one function: PRGIs, budget, responses, detach, abandon, injection. */
class PriQueueTest {
    final PriQueue q = new PriQueue(3);

    @Test
    void openAllocatesDistinctPrgisOfOnePageGroupsWithLast() {
        PriQueue.Group a = q.open("c/1", 5, null, 0x1000);
        PriQueue.Group b = q.open("c/1", 5, 7, 0x2000);
        assertEquals(0, a.grpid());
        assertEquals(1, b.grpid());
        assertTrue(a.last());
        assertEquals(List.of(0x1000L), a.pages());
        assertEquals(7, b.pasid());
        assertEquals(5, a.faultId());
        assertEquals(2, q.outstandingRequests());
        assertTrue(a.pending());
    }

    @Test
    void budgetIsNeverExceeded() {
        for (int i = 0; i < 3; i++) {
            q.open("c/1", 1, null, i * 0x1000L);
        }
        assertFalse(q.hasRoom());
        assertThrows(PriQueue.PriRefusedException.class, () -> q.open("c/1", 1, null, 0x9000));
        assertThrows(PriQueue.PriRefusedException.class, () -> q.inject("c/1", 1, null, 100, 0x9000, true));
        assertEquals(3, q.outstandingRequests());
        assertEquals(3, q.outstandingGroups());
        q.respond(null, 1, true);
        assertTrue(q.hasRoom());
        assertEquals(2, q.outstandingRequests());
    }

    @Test
    void successAndInvalidEndTheGroupAndFreeItsRequests() {
        PriQueue.Group a = q.open("c/1", 1, null, 0x1000);
        PriQueue.Group b = q.open("c/1", 1, null, 0x2000);
        assertSame(a, q.respond(null, a.grpid(), true));
        assertEquals(PriQueue.State.SUCCESS, a.state());
        assertSame(b, q.respond(null, b.grpid(), false));
        assertEquals(PriQueue.State.INVALID, b.state());
        assertEquals(0, q.outstandingRequests());
        assertEquals(0, q.unknownResponses());
    }

    @Test
    void unknownPrgiOrOtherPasidIsCountedAndChangesNothing() {
        PriQueue.Group a = q.open("c/1", 1, 7, 0x1000);
        assertNull(q.respond(7, 99, true));
        assertNull(q.respond(8, a.grpid(), true));
        assertNull(q.respond(null, a.grpid(), true));
        assertEquals(3, q.unknownResponses());
        assertTrue(a.pending());
        assertEquals(1, q.outstandingRequests());
        assertSame(a, q.respond(7, a.grpid(), true));
        assertNull(q.respond(7, a.grpid(), true), "a second response is for a group no longer outstanding");
        assertEquals(4, q.unknownResponses());
    }

    @Test
    void prgiWrapsAroundAndSkipsOutstandingOnes() {
        PriQueue big = new PriQueue(600);
        PriQueue.Group first = big.open("c/1", 1, null, 0);
        for (int i = 1; i < PriQueue.PRGI_COUNT; i++) {
            big.respond(null, big.open("c/1", 1, null, 0).grpid(), true);
        }
        PriQueue.Group next = big.open("c/1", 1, null, 0);
        assertEquals(1, next.grpid(), "PRGI 0 is still outstanding, so the wrap skips it");
        assertTrue(first.pending());
    }

    @Test
    void detachEndsOnlyThatDomainsGroupsOfThatPasid() {
        PriQueue.Group rid = q.open("c/1", 1, null, 0x1000);
        PriQueue.Group pasid = q.open("c/1", 1, 3, 0x2000);
        PriQueue.Group other = q.open("c/2", 1, null, 0x3000);
        assertEquals(List.of(rid), q.detach("c/1", null));
        assertEquals(PriQueue.State.DETACHED, rid.state());
        assertTrue(pasid.pending());
        assertTrue(other.pending());
        assertEquals(2, q.outstandingRequests());
        assertNull(q.respond(null, rid.grpid(), true));
        assertEquals(1, q.unknownResponses());
        assertEquals(PriQueue.State.DETACHED, rid.state(), "a late response does not revive it");
    }

    @Test
    void abandonForgetsThePendingGroupOnly() {
        PriQueue.Group a = q.open("c/1", 1, null, 0x1000);
        q.abandon(a);
        assertEquals(PriQueue.State.ABANDONED, a.state());
        assertEquals(0, q.outstandingRequests());
        assertNull(q.respond(null, a.grpid(), true));
        PriQueue.Group b = q.open("c/1", 1, null, 0x1000);
        q.respond(null, b.grpid(), false);
        q.abandon(b);
        assertEquals(PriQueue.State.INVALID, b.state());
    }

    @Test
    void injectedGroupCollectsPagesUntilLastAndOneResponseEndsIt() {
        PriQueue.Group g = q.inject("c/1", 2, 4, 5, 0x1000, false);
        assertSame(g, q.inject("c/1", 2, 4, 5, 0x2000, true));
        assertEquals(List.of(0x1000L, 0x2000L), g.pages());
        assertTrue(g.last());
        assertEquals(2, q.outstandingRequests());
        assertThrows(PriQueue.PriRefusedException.class, () -> q.inject("c/1", 2, 4, 5, 0x3000, true), "group already complete");
        assertEquals(2, q.outstandingRequests());
        assertSame(g, q.respond(4, 5, true));
        assertEquals(0, q.outstandingRequests());
    }

    @Test
    void injectionCannotReuseAPrgiOfAnotherGroup() {
        PriQueue.Group dma = q.open("c/1", 1, null, 0x1000);
        assertThrows(PriQueue.PriRefusedException.class, () -> q.inject("c/1", 1, null, dma.grpid(), 0x2000, true));
        q.inject("c/1", 1, 9, 10, 0x2000, false);
        assertThrows(PriQueue.PriRefusedException.class, () -> q.inject("c/1", 1, 8, 10, 0x3000, true), "other PASID");
        assertThrows(IllegalArgumentException.class, () -> q.inject("c/1", 1, 8, 512, 0x3000, true));
        assertEquals(2, q.outstandingRequests());
        PriQueue.Group next = q.open("c/1", 1, null, 0x4000);
        assertEquals(1, next.grpid());
    }
}
