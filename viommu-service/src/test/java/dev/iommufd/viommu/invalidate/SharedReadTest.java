package dev.iommufd.viommu.invalidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class SharedReadTest {
    final SharedRead<String, Integer> shared = new SharedRead<>();
    final List<CompletableFuture<Integer>> reads = new ArrayList<>();
    final List<String> keys = new ArrayList<>();

    CompletableFuture<Integer> get(String key) {
        return shared.get(key, () -> {
            CompletableFuture<Integer> r = new CompletableFuture<>();
            reads.add(r);
            keys.add(key);
            return r;
        });
    }

    @Test
    void callersArrivingDuringAReadShareTheNextOneNeverTheOneInFlight() throws Exception {
        CompletableFuture<Integer> a = get("n/1");
        CompletableFuture<Integer> b = get("n/1");   // arrived after read 0 started: must not get its value
        CompletableFuture<Integer> c = get("n/1");
        CompletableFuture<Integer> other = get("n/2"); // another key reads at once
        assertEquals(List.of("n/1", "n/2"), keys);
        reads.get(0).complete(10);
        assertEquals(10, a.get());
        assertFalse(b.isDone() || c.isDone());
        assertEquals(3, reads.size(), "one read for b and c together, started when read 0 ended");
        CompletableFuture<Integer> d = get("n/1");   // during read 2: waits for read 3
        reads.get(2).complete(20);
        assertEquals(20, b.get());
        assertEquals(20, c.get());
        assertFalse(d.isDone());
        reads.get(3).complete(30);
        assertEquals(30, d.get());
        assertFalse(other.isDone());
        reads.get(1).complete(99);
        assertEquals(99, other.get());
        assertEquals(4, reads.size());
        get("n/1");                                   // nothing in flight: reads at once
        assertEquals(5, reads.size());
    }

    @Test
    void aFailedReadFailsItsCallersOnlyAndTheNextCallersReadAgain() {
        CompletableFuture<Integer> a = get("n/1");
        CompletableFuture<Integer> b = get("n/1");
        reads.get(0).completeExceptionally(new IllegalStateException("ENOENT"));
        assertTrue(a.isCompletedExceptionally());
        assertFalse(b.isDone());
        reads.get(1).complete(5);
        assertEquals(5, b.join());
        CompletableFuture<Integer> c = shared.get("n/1", () -> {
            throw new IllegalStateException("client refused");
        });
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, c::get);
        assertEquals("client refused", e.getCause().getMessage());
        assertEquals(9, ((CompletableFuture<Integer>) shared.get("n/1", () -> CompletableFuture.completedFuture(9))).join());
    }
}
