package dev.iommufd.fault.queue;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** ioas-service's internal id space: ids of FAULT objects are allocated and released there. */
@RegisterRestClient(configKey = "ioas")
@Path("/v1/internal/contexts/{ctx}/objects")
public interface ObjectIds {
    record AllocRequest(String type) {}

    record Allocated(int id) {}

    @POST
    Uni<Allocated> allocate(@PathParam("ctx") String ctx, AllocRequest req);

    @DELETE
    @Path("{id}")
    Uni<Void> release(@PathParam("ctx") String ctx, @PathParam("id") int id);
}
