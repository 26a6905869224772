package dev.iommufd.viommu.context;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.VdeviceGone;
import dev.iommufd.viommu.nested.NestedHwpt;
import dev.iommufd.viommu.vdevice.Vdevice;
import dev.iommufd.viommu.veventq.Veventq;
import dev.iommufd.viommu.viommu.Viommu;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * ioas-service's context events (both through its outbox, at least once; deleting what is already
 * gone changes nothing):
 * <ul>
 * <li>{@code CONTEXT_CLOSED}: nothing of the context stays here (DESIGN invariant 4): vEVENTQs (and
 * their events), nested HWPTs, vdevices, vIOMMUs. The hardware side (nested domains, vIOMMU VMIDs)
 * is torn down by ioas-service's close, in its outbox.
 * <li>{@code VDEVICE_GONE}: an unbind force-destroyed the vdevice; its row goes, so its vSID no
 * longer translates user commands (EIO) nor routes events. The id stays reserved in ioas-service.
 * </ul>
 */
@ApplicationScoped
public class ContextEventsConsumer {
    @Incoming("contexts")
    public Uni<Void> onEvent(String json) {
        EventPayload p = EventJson.read(json).payload();
        if (p instanceof VdeviceGone gone) {
            return Panache.withTransaction(() -> Vdevice.delete("contextId = ?1 and id = ?2", gone.contextId(), gone.vdeviceId()))
                    .replaceWithVoid();
        }
        if (!(p instanceof ContextClosed closed)) {
            return Uni.createFrom().voidItem();
        }
        String ctx = closed.contextId();
        return Panache.withTransaction(() -> Veventq.delete("contextId", ctx)
                        .call(() -> NestedHwpt.delete("contextId", ctx))
                        .call(() -> Vdevice.delete("contextId", ctx))
                        .call(() -> Viommu.delete("contextId", ctx)))
                .replaceWithVoid();
    }
}
