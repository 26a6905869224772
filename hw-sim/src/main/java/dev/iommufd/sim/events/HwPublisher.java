package dev.iommufd.sim.events;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.sim.dma.DmaEngine;
import dev.iommufd.sim.platform.Platform;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * Kafka edge of what the hardware reports on its own: page requests ({@link Topics#HW_PAGE_REQUESTS})
 * and hardware events ({@link Topics#HW_EVENTS}), key = IOMMU id. Called from DMA request threads,
 * never from the command consumer, which must stay free to apply page responses.
 */
@ApplicationScoped
public class HwPublisher implements DmaEngine.Publisher {
    @Inject
    @Channel("hw-page-requests")
    MutinyEmitter<String> pageRequests;

    @Inject
    @Channel("hw-events")
    MutinyEmitter<String> events;

    @Override
    public void publish(EventEnvelope e) {
        send(e).join();
    }

    /** The hand-off happens in this call (the engine numbers and hands off under one lock); the future follows the ack. */
    @Override
    public CompletableFuture<Void> send(EventEnvelope e) {
        MutinyEmitter<String> out = e.payload() instanceof PageRequest ? pageRequests : events;
        return out.sendMessage(KafkaRecord.of(e.key(), EventJson.write(e))).subscribeAsCompletionStage();
    }

    /** The DMA engine over the platform, publishing through this edge. */
    public static class EngineProducer {
        @Produces
        @Singleton
        DmaEngine engine(Platform platform, HwPublisher publisher) {
            return new DmaEngine(platform, publisher, Clock.systemUTC());
        }
    }
}
