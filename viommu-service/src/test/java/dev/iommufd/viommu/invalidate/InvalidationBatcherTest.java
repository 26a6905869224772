package dev.iommufd.viommu.invalidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class InvalidationBatcherTest {
    record Sent(String key, List<Integer> items, CompletableFuture<Void> published, CompletableFuture<Void> completed) {}

    final List<Sent> sent = new ArrayList<>();
    final List<Integer> sizes = new ArrayList<>();
    final InvalidationBatcher<Integer> batcher = new InvalidationBatcher<>((key, items) -> {
        Sent s = new Sent(key, items, new CompletableFuture<>(), new CompletableFuture<>());
        sent.add(s);
        return new InvalidationBatcher.Dispatch(s.published(), s.completed());
    }, sizes::add);

    @Test
    void callersArrivingWhileABatchIsInFlightGoTogetherInOrder() {
        CompletableFuture<Void> a = batcher.submit("smmu0", List.of(1, 2));
        CompletableFuture<Void> b = batcher.submit("smmu0", List.of(3));
        CompletableFuture<Void> c = batcher.submit("smmu0", List.of(4, 5));
        CompletableFuture<Void> other = batcher.submit("dmar0", List.of(9));
        assertEquals(List.of(1, 2), sent.get(0).items());
        assertEquals(List.of(9), sent.get(1).items());         // another queue does not wait
        sent.get(0).published().complete(null);
        assertEquals(2, sent.size());                          // published is not enough: one batch in flight per queue
        assertFalse(a.isDone());
        sent.get(0).completed().complete(null);
        assertTrue(a.isDone());
        assertEquals(List.of(3, 4, 5), sent.get(2).items());   // one batch (one sync) for b and c, after a
        assertFalse(b.isDone());
        sent.get(2).published().complete(null);
        sent.get(2).completed().complete(null);
        assertTrue(b.isDone() && c.isDone());
        assertFalse(other.isDone());
        assertEquals(List.of(2, 1, 3), sizes);
        assertTrue(batcher.submit("smmu0", List.of()).isDone());  // nothing to send: nothing sent
        assertEquals(3, sent.size());
    }

    @Test
    void aFailedBatchFailsItsCallersOnlyAndTheLaneGoesOn() {
        CompletableFuture<Void> a = batcher.submit("smmu0", List.of(1));
        CompletableFuture<Void> b = batcher.submit("smmu0", List.of(2));
        sent.get(0).completed().completeExceptionally(new IllegalStateException("broker down"));
        assertTrue(a.isCompletedExceptionally());
        assertEquals(List.of(2), sent.get(1).items());
        sent.get(1).published().complete(null);
        sent.get(1).completed().complete(null);
        assertTrue(b.isDone() && !b.isCompletedExceptionally());
    }
}
