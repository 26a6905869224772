package dev.iommufd.ioas.context;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** fault-service's internal hook: drop every fault queue of a closed context. */
@RegisterRestClient(configKey = "fault")
@Path("/v1/internal/contexts/{ctx}")
public interface ContextClosedNotifier {
    @DELETE
    Uni<Response> closed(@PathParam("ctx") String ctx);
}
