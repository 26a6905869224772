package dev.iommufd.ioas.hw;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.ioas.config.IoasConfig;
import dev.iommufd.ioas.events.CommandPublisher;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Matches hw-sim's completions to the callers waiting for them, by correlation id. A caller
 * registers what it expects before its commands can be published, so no completion is missed.
 */
@ApplicationScoped
public class HwQueueGateway {
    @Inject
    CommandPublisher publisher;

    @Inject
    IoasConfig config;

    private final ConcurrentHashMap<String, CompletableFuture<EventEnvelope>> pending = new ConcurrentHashMap<>();

    public void expect(String correlationId) {
        pending.putIfAbsent(correlationId, new CompletableFuture<>());
    }

    public void forget(Collection<String> correlationIds) {
        correlationIds.forEach(pending::remove);
    }

    /**
     * Completes when every expected completion arrived; fails with {@link io.smallrye.mutiny.TimeoutException}
     * after {@code iommufd.ioas.sync-timeout} (Mutiny's timeout: the SmallRye Fault Tolerance
     * extension is not in this environment's Maven mirror).
     */
    public Uni<List<EventEnvelope>> awaitAll(Collection<String> correlationIds) {
        if (correlationIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Uni<EventEnvelope>> waits = correlationIds.stream()
                .map(c -> Uni.createFrom().completionStage(pending.computeIfAbsent(c, k -> new CompletableFuture<>())))
                .toList();
        return Uni.join().all(waits).andFailFast()
                .ifNoItem().after(config.syncTimeout()).fail()
                .onTermination().invoke(() -> forget(correlationIds));
    }

    /** A completion request on {@code iommu}'s queue: completes once hw-sim applied every command sent before it. */
    public Uni<EventEnvelope> sync(String iommu, String contextId) {
        return request(iommu, contextId, new SyncRequest(iommu));
    }

    /**
     * Sends one command that hw-sim answers (e.g. a dirty read) straight to its queue and waits for
     * the answer. Not through the outbox: it changes no state of ours, and every earlier change of
     * the context was completed before its call returned.
     */
    public Uni<EventEnvelope> request(String key, String contextId, EventPayload payload) {
        return Uni.createFrom().deferred(() -> {
            String corr = UUID.randomUUID().toString();
            expect(corr);
            publisher.publish(key, contextId, corr, payload).whenComplete((ok, err) -> {
                if (err != null) {
                    CompletableFuture<EventEnvelope> f = pending.remove(corr);
                    if (f != null) {
                        f.completeExceptionally(err);
                    }
                }
            });
            return awaitAll(List.of(corr)).map(l -> l.get(0));
        });
    }

    /** Called for every answer on the completions topic; those for other services or old runs are ignored. */
    void onCompletion(EventEnvelope e) {
        boolean ours = e.payload() instanceof Completion c && CommandPublisher.SOURCE.equals(c.source())
                || e.payload() instanceof DirtyReport d && CommandPublisher.SOURCE.equals(d.source());
        if (ours && e.correlationId() != null) {
            CompletableFuture<EventEnvelope> f = pending.get(e.correlationId());
            if (f != null) {
                f.complete(e);
            }
        }
    }

    int pendingCount() {
        return pending.size();
    }
}
