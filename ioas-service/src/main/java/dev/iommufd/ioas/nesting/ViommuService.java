package dev.iommufd.ioas.nesting;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * viommu-service, as ioas-service calls it: IOMMU_DESTROY of its objects arriving at
 * {@code DELETE …/objects/{id}} (passed on with the caller's token, to the typed URL). The
 * vdevices an unbind force-destroys travel as VDEVICE_GONE through the outbox instead.
 */
@RegisterRestClient(configKey = "viommu")
@Path("/v1")
public interface ViommuService {
    /** {@code kind}: viommus, vdevices, nested-hwpts or veventqs. */
    @DELETE
    @Path("contexts/{ctx}/{kind}/{id}")
    Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("kind") String kind, @PathParam("id") int id,
                          @HeaderParam("Authorization") String authorization);
}
