package dev.iommufd.viommu.hw;

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
 * Completions from hw-sim. A consumer group per instance starting at the end of the topic: a
 * completion only matters to the instance waiting for it. {@link #listening()} completes once the
 * partitions are assigned and their positions fixed, so a sync sent after that cannot miss its answer.
 */
@ApplicationScoped
@Identifier("viommu-completions-rebalance")
public class CompletionConsumer implements KafkaConsumerRebalanceListener {
    @Inject
    HwQueue queue;

    private final CompletableFuture<Void> listening = new CompletableFuture<>();

    @Incoming("hw-completions")
    public void onCompletion(String json) {
        queue.onCompletion(EventJson.read(json));
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        partitions.forEach(consumer::position);
        if (!partitions.isEmpty()) {
            listening.complete(null);
        }
    }

    public CompletableFuture<Void> listening() {
        return listening;
    }
}
