package dev.iommufd.fault.queue;

import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/** Internal (ioas-service, not routed by the Ingress): a closed context leaves no fault queue behind. */
@Path("/v1/internal/contexts/{ctx}")
public class InternalContextResource {
    @DELETE
    @WithTransaction
    public Uni<Response> closed(@PathParam("ctx") String ctx) {
        return FaultQueue.delete("contextId", ctx).map(n -> Response.noContent().build());
    }
}
