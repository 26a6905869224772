package dev.iommufd.ioas.topology;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** hw-sim's topology endpoints (a synchronous internal call: binding must know the hardware now). */
@RegisterRestClient(configKey = "hw-sim")
@Path("/v1/hw")
public interface HwSimClient {
    @GET
    @Path("iommus")
    Uni<JsonNode> iommus();

    @GET
    @Path("devices")
    Uni<JsonNode> devices();
}
