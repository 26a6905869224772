package dev.iommufd.contract.events;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * How a control-plane service puts an event on Kafka: the envelope (source, per-key sequence from a
 * {@link SequenceClock}, new trace) and the hand-off to the producer happen under one lock, so
 * per-key order on the wire is sequence order. The future completes when the broker acknowledged
 * the record (the channels use acks=all) and fails on a nack.
 */
public final class EventPublisher {
    private final String source;
    private final SequenceClock sequence = new SequenceClock();

    public EventPublisher(String source) {
        this.source = source;
    }

    public String source() {
        return source;
    }

    public synchronized CompletableFuture<Void> publish(MutinyEmitter<String> channel, String key, String contextId,
                                                        String correlationId, EventPayload payload) {
        EventEnvelope e = new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), source, contextId,
                key, sequence.next(), correlationId, Instant.now(), TraceContext.newTraceparent(), payload);
        CompletableFuture<Void> acked = new CompletableFuture<>();
        channel.sendMessageAndForget(Message.of(EventJson.write(e), Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build()))
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
