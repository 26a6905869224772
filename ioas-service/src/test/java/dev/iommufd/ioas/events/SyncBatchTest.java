package dev.iommufd.ioas.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SyncBatchTest {
    final Map<String, CompletableFuture<Void>> sent = new HashMap<>();
    final List<String> order = new ArrayList<>();

    CompletableFuture<?> sync(String queue) {
        order.add(queue);
        CompletableFuture<Void> f = new CompletableFuture<>();
        sent.put(queue, f);
        return f;
    }

    @Test
    void oneSyncPerQueueServesEveryCaller() {
        SyncBatch b = new SyncBatch();
        CompletableFuture<Void> a = new CompletableFuture<>();
        CompletableFuture<Void> c = new CompletableFuture<>();
        CompletableFuture<Void> d = new CompletableFuture<>();
        b.add(Set.of("dmar0"), a);
        b.add(Set.of("dmar0", "smmu0"), c);
        b.add(Set.of("dmar0"), d);
        assertEquals(3, b.callers("dmar0"));
        assertEquals(1, b.callers("smmu0"));
        b.send(this::sync, CompletableFuture.completedFuture(null));
        assertEquals(List.of("dmar0", "smmu0"), order, "one sync per queue, first-use order");

        sent.get("dmar0").complete(null);
        assertTrue(a.isDone() && d.isDone());
        assertFalse(c.isDone(), "a caller that used two queues waits for both");
        sent.get("smmu0").complete(null);
        assertTrue(c.isDone() && !c.isCompletedExceptionally());
    }

    @Test
    void aFailedSyncFailsOnlyItsCallers() {
        SyncBatch b = new SyncBatch();
        CompletableFuture<Void> a = new CompletableFuture<>();
        CompletableFuture<Void> c = new CompletableFuture<>();
        b.add(Set.of("dmar0"), a);
        b.add(Set.of("dmar1"), c);
        b.send(this::sync, CompletableFuture.completedFuture(null));
        sent.get("dmar0").completeExceptionally(new java.util.concurrent.TimeoutException());
        sent.get("dmar1").complete(null);
        assertTrue(a.isCompletedExceptionally());
        assertTrue(c.isDone() && !c.isCompletedExceptionally());
    }

    @Test
    void anEmptyBatchSendsNothingAndAFailedDrainKeepsItsCallers() {
        SyncBatch b = new SyncBatch();
        assertTrue(b.isEmpty());
        b.send(this::sync, CompletableFuture.completedFuture(null));
        assertTrue(order.isEmpty());

        SyncBatch failed = new SyncBatch();
        CompletableFuture<Void> a = new CompletableFuture<>();
        failed.add(Set.of("dmar0"), a);
        b.addAll(failed);
        b.send(this::sync, CompletableFuture.completedFuture(null));
        sent.get("dmar0").complete(null);
        assertTrue(a.isDone());
    }

    @Test
    void callersFailWhenTheirCommandsWereNotAcknowledgedEvenIfTheSyncCompleted() {
        SyncBatch b = new SyncBatch();
        CompletableFuture<Void> a = new CompletableFuture<>();
        b.add(Set.of("dmar0"), a);
        CompletableFuture<Void> rowsAcked = new CompletableFuture<>();
        b.send(this::sync, rowsAcked);
        sent.get("dmar0").complete(null);
        assertFalse(a.isDone(), "waits for the broker's acknowledgement too");
        rowsAcked.completeExceptionally(new IllegalStateException("broker down"));
        assertTrue(a.isCompletedExceptionally());
    }
}
