package dev.iommufd.tools.replay;

import dev.iommufd.contract.events.EventEnvelope;
import java.util.Objects;

/** An event as Kafka delivered it: topic, partition, offset and record timestamp (ms). */
public record Recorded(String topic, int partition, long offset, long timestamp, EventEnvelope event) implements StreamItem {
    public Recorded {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(event, "event");
    }

    @Override
    public String where() {
        return topic + "/" + partition + "@" + offset;
    }
}
