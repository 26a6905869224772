package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.stream.StreamOpenCheck;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** The stream of a missing vEVENTQ is 404 ENOENT before the SSE response starts (after the token check). */
public class StreamQueueCheck {
    private static final StreamOpenCheck CHECK = new StreamOpenCheck("veventqs", "vEVENTQ");

    @Inject
    VeventqStore store;

    @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.USER)
    public Uni<Response> check(ContainerRequestContext request) {
        return CHECK.check(request, store::exists);
    }
}
