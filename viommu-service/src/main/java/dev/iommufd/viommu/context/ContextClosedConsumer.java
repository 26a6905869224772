package dev.iommufd.viommu.context;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.viommu.nested.NestedHwpt;
import dev.iommufd.viommu.vdevice.Vdevice;
import dev.iommufd.viommu.veventq.Veventq;
import dev.iommufd.viommu.viommu.Viommu;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * A closed context leaves nothing behind here (DESIGN invariant 4): vEVENTQs (and their events),
 * nested HWPTs, vdevices, vIOMMUs. The hardware side (nested domains, vIOMMU VMIDs) is torn down
 * by ioas-service's close, in its outbox. The event comes at least once; deleting what is already
 * gone changes nothing.
 */
@ApplicationScoped
public class ContextClosedConsumer {
    @Incoming("contexts")
    public Uni<Void> onEvent(String json) {
        if (!(EventJson.read(json).payload() instanceof ContextClosed closed)) {
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
