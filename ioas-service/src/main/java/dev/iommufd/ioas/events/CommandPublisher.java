package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.EventPublisher;
import dev.iommufd.contract.events.Topics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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

    private final EventPublisher publisher = new EventPublisher(SOURCE);

    /** Completes when the broker acknowledged the record (acks=all). */
    public CompletableFuture<Void> publish(String key, String contextId, String correlationId, EventPayload payload) {
        MutinyEmitter<String> channel = Topics.CONTEXTS.equals(Topics.of(payload)) ? contexts : commands;
        return publisher.publish(channel, key, contextId, correlationId, payload);
    }
}
