package dev.iommufd.ioas.hw;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.SequenceClock;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.TraceContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import dev.iommufd.ioas.config.IoasConfig;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * ioas-service's side of the hardware command queues on Kafka: sends commands keyed by IOMMU and
 * matches hw-sim's completions to the waiting callers by correlation id.
 */
@ApplicationScoped
public class HwQueueGateway {
    public static final String SOURCE = "ioas-service";

    @Inject
    @Channel("hw-commands")
    MutinyEmitter<String> commands;

    @Inject
    IoasConfig config;

    private final SequenceClock sequence = new SequenceClock();
    private final ConcurrentHashMap<String, CompletableFuture<EventEnvelope>> pending = new ConcurrentHashMap<>();

    /**
     * A completion request on {@code iommu}'s queue (wait descriptor / CMD_SYNC): completes once
     * hw-sim applied every command sent before it. Fails with {@link io.smallrye.mutiny.TimeoutException}
     * if the hardware does not answer within {@code iommufd.ioas.sync-timeout}. (Mutiny's timeout: the
     * SmallRye Fault Tolerance extension is not in this environment's Maven mirror.)
     */
    public Uni<EventEnvelope> sync(String iommu, String contextId) {
        return Uni.createFrom().deferred(() -> {
            String corr = UUID.randomUUID().toString();
            CompletableFuture<EventEnvelope> done = new CompletableFuture<>();
            pending.put(corr, done);
            send(iommu, contextId, corr, new SyncRequest(iommu), done);
            return Uni.createFrom().completionStage(done)
                    .ifNoItem().after(config.syncTimeout()).fail()
                    .onTermination().invoke(() -> pending.remove(corr));
        });
    }

    /** Sequence allocation and hand-off to the producer happen together so per-key order is send order. */
    private synchronized void send(String key, String contextId, String corr, SyncRequest payload,
                                   CompletableFuture<EventEnvelope> done) {
        EventEnvelope e = new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), SOURCE, contextId,
                key, sequence.next(), corr, Instant.now(), TraceContext.newTraceparent(), payload);
        commands.sendMessageAndForget(KafkaRecord.of(key, EventJson.write(e)).withNack(t -> {
            done.completeExceptionally(t);
            return CompletableFuture.completedFuture(null);
        }));
    }

    /** Called for every completion on the topic; those of other services or old runs are ignored. */
    void onCompletion(EventEnvelope e) {
        if (e.payload() instanceof Completion c && SOURCE.equals(c.source()) && e.correlationId() != null) {
            CompletableFuture<EventEnvelope> f = pending.remove(e.correlationId());
            if (f != null) {
                f.complete(e);
            }
        }
    }

    int pendingCount() {
        return pending.size();
    }
}
