package dev.iommufd.ioas.hw;

import dev.iommufd.contract.events.EventJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Kafka edge: completions from hw-sim. An undecodable record goes to the dead-letter topic. */
@ApplicationScoped
public class CompletionConsumer {
    @Inject
    HwQueueGateway gateway;

    @Incoming("hw-completions")
    public void onCompletion(String json) {
        gateway.onCompletion(EventJson.read(json));
    }
}
