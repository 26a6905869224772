package dev.iommufd.viommu.invalidate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Groups the invalidations of concurrent callers per command queue (key: physical IOMMU) into few
 * Kafka records and one sync. Per key, one batch at a time is in flight (published and not yet
 * completed by hw-sim); callers arriving meanwhile wait and go together in the next batch, in
 * arrival order, so the queue's order is the callers' order and one sync serves them all (as
 * ioas-service's shared syncs). Plain Java: the sink does the publishing.
 */
public final class InvalidationBatcher<T> {

    /** Publishes {@code items} then one sync on {@code key}. */
    public interface Sink<T> {
        Dispatch send(String key, List<T> items);
    }

    /** {@code published}: the broker has the records; {@code completed}: hw-sim completed the sync (the next batch may go). */
    public record Dispatch(CompletionStage<?> published, CompletionStage<?> completed) {}

    private record Waiting<T>(List<T> items, CompletableFuture<Void> done) {}

    private final class Lane {
        final ArrayDeque<Waiting<T>> queue = new ArrayDeque<>();
        boolean sending;
    }

    private final Sink<T> sink;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final java.util.function.IntConsumer batchSize;

    /** {@code batchSize} is told the number of items of every batch (a metric). */
    public InvalidationBatcher(Sink<T> sink, java.util.function.IntConsumer batchSize) {
        this.sink = sink;
        this.batchSize = batchSize;
    }

    /** Completes once hw-sim completed a sync published behind {@code items}. */
    public CompletableFuture<Void> submit(String key, List<T> items) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (items.isEmpty()) {
            done.complete(null);
            return done;
        }
        Lane lane = lanes.computeIfAbsent(key, k -> new Lane());
        boolean start;
        synchronized (lane) {
            lane.queue.add(new Waiting<>(List.copyOf(items), done));
            start = !lane.sending;
            lane.sending = true;
        }
        if (start) {
            sendNext(key, lane);
        }
        return done;
    }

    private void sendNext(String key, Lane lane) {
        List<Waiting<T>> batch;
        synchronized (lane) {
            if (lane.queue.isEmpty()) {
                lane.sending = false;
                return;
            }
            batch = new ArrayList<>(lane.queue);
            lane.queue.clear();
        }
        List<T> items = new ArrayList<>();
        batch.forEach(w -> items.addAll(w.items()));
        batchSize.accept(items.size());
        Dispatch d;
        try {
            d = sink.send(key, items);
        } catch (RuntimeException e) {
            batch.forEach(w -> w.done().completeExceptionally(e));
            sendNext(key, lane);
            return;
        }
        d.completed().whenComplete((ok, err) -> {
            batch.forEach(w -> {
                if (err != null) {
                    w.done().completeExceptionally(err);
                } else {
                    w.done().complete(null);
                }
            });
            sendNext(key, lane);
        });
    }
}
