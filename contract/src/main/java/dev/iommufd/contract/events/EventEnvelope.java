package dev.iommufd.contract.events;

import java.time.Instant;
import java.util.Objects;

/**
 * One record on any topic. {@code sequence} is per (source, key) and strictly increasing, so a
 * consumer applies each event once even under at-least-once delivery or a replay.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION} at the time of writing
 * @param id            unique event id (UUID)
 * @param source        the producing service, e.g. {@code ioas-service}
 * @param contextId     the iommufd context the event belongs to, or null for hardware-wide events
 * @param key           the Kafka key (IOMMU id): the unit of ordering
 * @param sequence      per (source, key) sequence number, from 1
 * @param correlationId links a request to its completion or response
 * @param time          when the producer created the event
 * @param traceparent   W3C trace context, so one unmap can be followed across services
 * @param payload       what happened
 */
public record EventEnvelope(int schemaVersion, String id, String source, String contextId, String key,
                            long sequence, String correlationId, Instant time, String traceparent,
                            EventPayload payload) {
    public static final int SCHEMA_VERSION = 1;

    public EventEnvelope {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(payload, "payload");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1");
        }
    }
}
