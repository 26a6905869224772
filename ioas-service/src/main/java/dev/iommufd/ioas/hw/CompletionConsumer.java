package dev.iommufd.ioas.hw;

import dev.iommufd.contract.events.EventJson;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Kafka edge: completions from hw-sim. Every instance has its own consumer group and starts at the
 * end of the topic (a completion is only of use to the instance waiting for it, and old ones are
 * of no use to anyone), so no instance ever reads the topic's history and replicas each see every
 * completion. {@link #listening()} completes once the partitions are assigned and their positions
 * fixed: a request sent after that cannot miss its answer. An undecodable record goes to the
 * dead-letter topic.
 */
@ApplicationScoped
@Identifier("completions-rebalance")
public class CompletionConsumer implements KafkaConsumerRebalanceListener {
    @Inject
    HwQueueGateway gateway;

    private final CompletableFuture<Void> listening = new CompletableFuture<>();

    @Incoming("hw-completions")
    public void onCompletion(String json) {
        gateway.onCompletion(EventJson.read(json));
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        partitions.forEach(consumer::position); // resolves "latest" now, not at the first fetch
        if (!partitions.isEmpty()) {
            listening.complete(null);
        }
    }

    public CompletableFuture<Void> listening() {
        return listening;
    }
}
