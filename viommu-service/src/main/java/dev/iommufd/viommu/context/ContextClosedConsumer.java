package dev.iommufd.viommu.context;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.viommu.viommu.Viommu;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * A closed context leaves no vIOMMU behind (DESIGN invariant 4). The event comes through
 * ioas-service's outbox, at least once; deleting what is already gone changes nothing.
 */
@ApplicationScoped
public class ContextClosedConsumer {
    @Incoming("contexts")
    public Uni<Void> onEvent(String json) {
        if (!(EventJson.read(json).payload() instanceof ContextClosed closed)) {
            return Uni.createFrom().voidItem();
        }
        return Panache.withTransaction(() -> Viommu.delete("contextId", closed.contextId())).replaceWithVoid();
    }
}
