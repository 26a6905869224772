package dev.iommufd.fault.context;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.FaultDetach;
import dev.iommufd.fault.events.ResponseRelay;
import dev.iommufd.fault.queue.Streams;
import dev.iommufd.fault.store.FaultStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * ioas-service's context events ({@code iommufd.contexts}, through its outbox, at least once):
 * <ul>
 * <li>CONTEXT_CLOSED: every group of the context awaiting a response is answered INVALID and no
 * fault queue is left (DESIGN invariant 4); repeating it changes nothing.</li>
 * <li>FAULT_DETACH: the device left a HWPT with that fault queue: its groups there are answered
 * INVALID (iommufd_auto_response_faults). Applied once per sequence, so a redelivery cannot
 * answer groups that arrived after it.</li>
 * </ul>
 * Other kinds on the topic are not for fault-service; an undecodable record is dead-lettered.
 */
@ApplicationScoped
public class ContextEventsConsumer {
    @Inject
    FaultStore store;

    @Inject
    ResponseRelay relay;

    @Inject
    Streams streams;

    @Incoming("contexts")
    public Uni<Void> onEvent(String json) {
        EventEnvelope e = EventJson.read(json);
        if (e.payload() instanceof ContextClosed closed) {
            return store.closeContext(closed.contextId()).invoke(n -> after(n, closed.contextId())).replaceWithVoid();
        }
        if (e.payload() instanceof FaultDetach d) {
            return store.detach(e, d.contextId(), d.faultId(), d.rid(), d.pasid()).invoke(n -> after(n, null)).replaceWithVoid();
        }
        return Uni.createFrom().voidItem();
    }

    private void after(int answered, String closedContext) {
        if (answered > 0) {
            relay.kick();
        }
        if (closedContext != null) {
            streams.signal(closedContext, null); // their queues are gone: the streams end
        }
    }
}
