package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.SequenceClock;
import dev.iommufd.contract.events.TraceContext;
import dev.iommufd.contract.events.Topics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The one way ioas-service publishes: commands on {@code iommufd.hw.commands}, context lifecycle on
 * {@code iommufd.contexts}; sequence allocation and
 * hand-off to the producer happen together, so per-key order on the wire is sequence order.
 */
@ApplicationScoped
public class CommandPublisher {
    public static final String SOURCE = "ioas-service";

    @Inject
    @Channel("hw-commands")
    MutinyEmitter<String> commands;

    /** Context lifecycle for the other services ({@code iommufd.contexts}). */
    @Inject
    @Channel("contexts")
    MutinyEmitter<String> contexts;

    private final SequenceClock sequence = new SequenceClock();

    /** Completes when the broker acknowledged the record (acks=all). */
    public synchronized CompletableFuture<Void> publish(String key, String contextId, String correlationId, EventPayload payload) {
        EventEnvelope e = new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), SOURCE, contextId,
                key, sequence.next(), correlationId, Instant.now(), TraceContext.newTraceparent(), payload);
        CompletableFuture<Void> acked = new CompletableFuture<>();
        MutinyEmitter<String> channel = Topics.CONTEXTS.equals(Topics.of(payload)) ? contexts : commands;
        channel.sendMessageAndForget(KafkaRecord.of(key, EventJson.write(e))
                .withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(t -> {
                    acked.completeExceptionally(t);
                    return CompletableFuture.completedFuture(null);
                }));
        return acked;
    }
}
