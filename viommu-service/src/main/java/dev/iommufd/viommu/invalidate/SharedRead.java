package dev.iommufd.viommu.invalidate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Concurrent callers asking for the same remote value share reads, without any of them getting a
 * value read before it asked: per key one read at a time is in flight; callers arriving meanwhile
 * wait and share the next read, which starts when the current one ends. So each caller's value was
 * read after its call started, exactly as if it had read it itself (a cache could not promise that),
 * and N concurrent callers cost at most two reads in a row instead of N at once. A key names one
 * remote value: the read a round uses is the one its first caller passed. Plain Java.
 */
public final class SharedRead<K, V> {
    private final class Slot {
        boolean reading;
        List<CompletableFuture<V>> next = new ArrayList<>();
    }

    private final Map<K, Slot> slots = new ConcurrentHashMap<>();

    /** The value of {@code read} for {@code key}, from a read that starts now or after the one in flight. */
    public CompletableFuture<V> get(K key, Supplier<? extends CompletionStage<V>> read) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        boolean start;
        Slot s;
        synchronized (slots) {
            s = slots.computeIfAbsent(key, k -> new Slot());
            s.next.add(mine);
            start = !s.reading;
            s.reading = true;
        }
        if (start) {
            readFor(key, s, read);
        }
        return mine;
    }

    private void readFor(K key, Slot s, Supplier<? extends CompletionStage<V>> read) {
        List<CompletableFuture<V>> waiting;
        synchronized (slots) {
            if (s.next.isEmpty()) {
                s.reading = false;
                slots.remove(key); // nothing waits: the next caller starts afresh
                return;
            }
            waiting = s.next;
            s.next = new ArrayList<>();
        }
        CompletionStage<V> r;
        try {
            r = read.get();
        } catch (RuntimeException e) {
            r = CompletableFuture.failedFuture(e);
        }
        r.whenComplete((v, err) -> {
            for (CompletableFuture<V> f : waiting) {
                if (err != null) {
                    f.completeExceptionally(err);
                } else {
                    f.complete(v);
                }
            }
            readFor(key, s, read); // whoever arrived during this read gets a read of its own, shared
        });
    }
}
