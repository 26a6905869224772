package dev.iommufd.tools.replay;

/**
 * One entry of a replayed stream: a recorded Kafka event, or a DMA probe (DMAs never travel on
 * Kafka; an exported file may carry them so that a bug report can show a stale translation).
 */
public sealed interface StreamItem permits Recorded, DmaProbe {
    /** Where it came from, for messages: {@code topic/partition@offset} or {@code dma line N}. */
    String where();

    /** Milliseconds since the epoch: the Kafka record timestamp (merge order across partitions). */
    long timestamp();
}
