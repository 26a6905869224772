package dev.iommufd.viommu.hw;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.EventPublisher;
import dev.iommufd.contract.events.SyncRequest;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * viommu-service's side of the IOMMU command queues ({@code iommufd.hw.commands}, key: physical
 * IOMMU): commands are handed to the producer in call order under one lock, so per-key order on
 * the wire is sequence order; a sync (CMD_SYNC / wait descriptor) behind them completes once
 * hw-sim applied them. User invalidations go straight through here (they change no state of ours:
 * a lost one fails its call with EIO); lifecycle commands go through {@link CommandOutbox}, which
 * publishes with this class's publisher (one sequence per source and key).
 */
@ApplicationScoped
public class HwQueue {
    @Inject
    @Channel("hw-commands")
    MutinyEmitter<String> commands;

    @Inject
    @io.smallrye.common.annotation.Identifier("viommu-completions-rebalance")
    CompletionConsumer completions;

    /** The envelope source; replicas need distinct ones (hw-sim orders sequences per source and key). */
    @ConfigProperty(name = "iommufd.viommu.source", defaultValue = "viommu-service")
    String source;

    @ConfigProperty(name = "iommufd.viommu.sync-timeout", defaultValue = "5s")
    Duration syncTimeout;

    private EventPublisher publisher;

    public Duration syncTimeout() {
        return syncTimeout;
    }

    private final ConcurrentHashMap<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();

    /** Completes when the broker acknowledged the record (acks=all). */
    public CompletableFuture<Void> publish(String key, String contextId, String correlationId, EventPayload payload) {
        return publisher().publish(commands, key, contextId, correlationId, payload);
    }

    private synchronized EventPublisher publisher() {
        if (publisher == null) {
            publisher = new EventPublisher(source); // the source is configuration, injected after construction
        }
        return publisher;
    }

    /** What {@link #send} started: the records are on the broker / hw-sim completed them. */
    public record Sent(CompletableFuture<Void> published, CompletableFuture<Void> completed) {}

    /**
     * Publishes {@code payloads} then a sync on {@code key}. The completion is registered before the
     * sync goes out, and only once completions are being listened for, so none is missed.
     */
    public Sent send(String key, String contextId, List<? extends EventPayload> payloads) {
        CompletableFuture<Void> ready = completions.listening();
        if (ready.isDone()) {
            return sendNow(key, contextId, payloads);
        }
        // still starting: send once completions are listened for, without blocking the caller's thread
        CompletableFuture<Sent> later = ready.copy().orTimeout(syncTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(x -> sendNow(key, contextId, payloads));
        return new Sent(later.thenCompose(Sent::published), later.thenCompose(Sent::completed));
    }

    private Sent sendNow(String key, String contextId, List<? extends EventPayload> payloads) {
        String corr = UUID.randomUUID().toString();
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.put(corr, done);
        CompletableFuture<Void> completed = done.orTimeout(syncTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, err) -> pending.remove(corr));
        CompletableFuture<?>[] acks;
        synchronized (this) {
            acks = new CompletableFuture<?>[payloads.size() + 1];
            for (int i = 0; i < payloads.size(); i++) {
                acks[i] = publish(key, contextId, null, payloads.get(i));
            }
            acks[payloads.size()] = publish(key, contextId, corr, new SyncRequest(key));
        }
        CompletableFuture<Void> published = CompletableFuture.allOf(acks);
        published.whenComplete((ok, err) -> {
            if (err != null) {
                done.completeExceptionally(err);
            }
        });
        return new Sent(published, completed);
    }

    /** {@link #send} and wait for hw-sim's completion; a timeout or a broker failure is EIO. */
    public Uni<Void> apply(String key, String contextId, List<? extends EventPayload> payloads) {
        return Uni.createFrom().deferred(() -> eio(Uni.createFrom().completionStage(send(key, contextId, payloads).completed())));
    }

    /** Waiting for the hardware failed: EIO (the errno of a command queue that did not complete). */
    public static <T> Uni<T> eio(Uni<T> wait) {
        return wait.onFailure(t -> !(t instanceof ErrnoException))
                .transform(t -> ErrnoException.of(Errno.EIO, "the hardware did not complete: %s", t.toString()));
    }

    void onCompletion(EventEnvelope e) {
        if (e.payload() instanceof Completion c && source.equals(c.source()) && e.correlationId() != null) {
            CompletableFuture<Void> f = pending.get(e.correlationId());
            if (f != null) {
                f.complete(null);
            }
        }
    }
}
