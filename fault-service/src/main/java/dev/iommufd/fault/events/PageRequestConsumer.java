package dev.iommufd.fault.events;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.fault.core.Fault;
import dev.iommufd.fault.device.DeviceDirectory;
import dev.iommufd.fault.queue.Streams;
import dev.iommufd.fault.store.FaultStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * PRI page requests from hw-sim ({@code iommufd.hw.page-requests}, key = IOMMU, so the requests
 * of one group arrive in order). One at a time: assembled into groups in PostgreSQL, a group is
 * delivered to its queue with the next cookie when its last request arrives. A record that is not
 * a page request with a context is dead-lettered; a redelivered one is skipped (sequence).
 */
@ApplicationScoped
public class PageRequestConsumer {
    @Inject
    FaultStore store;

    @Inject
    DeviceDirectory devices;

    @Inject
    ResponseRelay relay;

    @Inject
    Streams streams;

    @Incoming("page-requests")
    public Uni<Void> onEvent(String json) {
        EventEnvelope e = EventJson.read(json);
        if (!(e.payload() instanceof PageRequest r)) {
            throw new EventJson.MalformedEventException("not a page request: " + EventJson.kind(e.payload()));
        }
        if (e.contextId() == null) {
            throw new EventJson.MalformedEventException("page request without a context");
        }
        if (Fault.isStopMarker(r)) {
            return Uni.createFrom().voidItem();
        }
        String ctx = e.contextId();
        // ask ioas-service about the requester only for a queue that exists
        return store.queueExists(ctx, r.faultId())
                .flatMap(exists -> exists ? devices.deviceId(ctx, r.rid()) : Uni.createFrom().<Integer>nullItem())
                .flatMap(devId -> store.onRequest(e, r, devId))
                .invoke(a -> {
                    if (a.delivered()) {
                        streams.signal(ctx, r.faultId());
                    }
                    if (a.answered()) {
                        relay.kick();
                    }
                })
                .replaceWithVoid();
    }
}
