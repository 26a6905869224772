package dev.iommufd.viommu.vdevice;

import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/**
 * Internal (ioas-service only; not routed by an Ingress): an unbind force-destroyed this vdevice in
 * ioas-service's table; its row goes, so its vSID no longer translates and no event routes to it.
 * Idempotent.
 */
@Path("/v1/internal/contexts/{ctx}/vdevices")
public class InternalVdeviceResource {
    @DELETE
    @Path("{id}")
    @WithTransaction
    public Uni<Response> gone(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return Vdevice.delete("contextId = ?1 and id = ?2", ctx, id).map(n -> Response.noContent().build());
    }
}
