package dev.iommufd.ioas.events;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Callers that wait for a completion behind their committed commands, gathered between two outbox
 * drains. One completion request per queue serves all of them: a sync completes only when every
 * earlier command on its queue took effect (CMD_SYNC / wait-descriptor semantics), so it covers
 * every caller whose commands were published before it. Plain Java, no framework.
 */
public final class SyncBatch {
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(Set<String> queues, CompletableFuture<Void> done) {}

    public void add(Set<String> queues, CompletableFuture<Void> done) {
        waiters.add(new Waiter(Set.copyOf(queues), done));
    }

    public boolean isEmpty() {
        return waiters.isEmpty();
    }

    /** The queues that need one sync each, in first-use order. */
    public Set<String> queues() {
        Set<String> out = new LinkedHashSet<>();
        waiters.forEach(w -> out.addAll(w.queues()));
        return out;
    }

    /** How many callers wait on {@code queue}'s sync. */
    public long callers(String queue) {
        return waiters.stream().filter(w -> w.queues().contains(queue)).count();
    }

    /**
     * Sends the syncs ({@code sync} publishes one on a queue and returns its completion) and
     * completes each caller once all of its queues completed and {@code alsoNeeded} (the commands
     * before the syncs reached the broker) did, or fails it with the first failure.
     */
    public void send(Function<String, CompletableFuture<?>> sync, CompletableFuture<?> alsoNeeded) {
        Map<String, CompletableFuture<?>> completions = new java.util.HashMap<>();
        queues().forEach(q -> completions.put(q, sync.apply(q)));
        for (Waiter w : waiters) {
            java.util.List<CompletableFuture<?>> needed = new ArrayList<>();
            w.queues().forEach(q -> needed.add(completions.get(q)));
            needed.add(alsoNeeded);
            CompletableFuture.allOf(needed.toArray(CompletableFuture[]::new))
                    .whenComplete((ok, err) -> {
                        if (err != null) {
                            w.done().completeExceptionally(err);
                        } else {
                            w.done().complete(null);
                        }
                    });
        }
    }

    /** Takes over another batch's callers (a drain that failed before its syncs went out). */
    public void addAll(SyncBatch other) {
        waiters.addAll(other.waiters);
    }
}
