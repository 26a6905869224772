package dev.iommufd.ioas.context;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** fault-service's typed destroy, for IOMMU_DESTROY of a FAULT id arriving here (the caller's token is passed on). */
@RegisterRestClient(configKey = "fault")
@Path("/v1/contexts/{ctx}/fault-queues")
public interface OwnerServices {
    @DELETE
    @Path("{id}")
    Uni<Response> destroyFaultQueue(@PathParam("ctx") String ctx, @PathParam("id") int id, @HeaderParam("Authorization") String authorization);
}
