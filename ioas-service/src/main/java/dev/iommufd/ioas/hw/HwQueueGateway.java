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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

    @Inject
    @io.smallrye.common.annotation.Identifier("completions-rebalance")
    CompletionConsumer completions;

    private final ConcurrentHashMap<String, CompletableFuture<EventEnvelope>> pending = new ConcurrentHashMap<>();

    /**
     * The answer to {@code correlationId}, registered before the command that asks for it is
     * published so no answer is missed. Fails with a {@link java.util.concurrent.TimeoutException}
     * after {@code iommufd.ioas.sync-timeout} (CompletableFuture's timeout: the SmallRye Fault
     * Tolerance extension is not in this environment's Maven mirror); forgotten either way.
     */
    public CompletableFuture<EventEnvelope> completion(String correlationId) {
        CompletableFuture<EventEnvelope> f = new CompletableFuture<>();
        pending.put(correlationId, f);
        return f.orTimeout(config.syncTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((e, err) -> pending.remove(correlationId));
    }

    /**
     * Waits (at most the sync timeout) until completions are being listened for; the relay calls
     * it before sending syncs, so none is sent into the void while the service starts.
     */
    public void awaitListening() throws Exception {
        completions.listening().get(config.syncTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The command that asked for {@code correlationId} could not be sent. */
    public void fail(String correlationId, Throwable err) {
        CompletableFuture<EventEnvelope> f = pending.remove(correlationId);
        if (f != null) {
            f.completeExceptionally(err);
        }
    }

    /** A wait for the hardware that ran out of time ({@link #completion}) becomes EIO: {@code what} did not complete in time. */
    public static <T> Uni<T> eioOnTimeout(Uni<T> wait, String what) {
        return wait.onFailure(t -> t instanceof java.util.concurrent.TimeoutException
                        || t instanceof java.util.concurrent.CompletionException && t.getCause() instanceof java.util.concurrent.TimeoutException)
                .transform(t -> dev.iommufd.contract.api.ErrnoException.of(dev.iommufd.contract.api.Errno.EIO, "%s did not complete in time", what));
    }

    /** A completion request on {@code iommu}'s queue: completes once hw-sim applied every command sent before it. */
    public Uni<EventEnvelope> sync(String iommu, String contextId) {
        return request(iommu, contextId, new SyncRequest(iommu));
    }

    /**
     * Sends one command that hw-sim answers (a sync, a dirty read) straight to its queue and waits
     * for the answer. Not through the outbox: it changes no state of ours, and every earlier change
     * of the context was completed before its call returned.
     */
    public Uni<EventEnvelope> request(String key, String contextId, EventPayload payload) {
        return Uni.createFrom().completionStage(completions::listening).flatMap(ready -> Uni.createFrom().deferred(() -> {
            String corr = UUID.randomUUID().toString();
            CompletableFuture<EventEnvelope> answer = completion(corr);
            publisher.publish(key, contextId, corr, payload).whenComplete((ok, err) -> {
                if (err != null) {
                    fail(corr, err);
                }
            });
            return Uni.createFrom().completionStage(answer);
        }));
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
