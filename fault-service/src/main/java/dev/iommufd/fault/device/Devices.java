package dev.iommufd.fault.device;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * ioas-service's internal device lookup: a page request names its requester by RID, the API shows
 * the DEVICE object id of that RID in the context (404 ENOENT when the context has none).
 */
@RegisterRestClient(configKey = "ioas")
@Path("/v1/internal/contexts/{ctx}/devices")
public interface Devices {
    @JsonIgnoreProperties(ignoreUnknown = true)
    record DeviceRef(int id, String rid) {}

    @GET
    Uni<DeviceRef> byRid(@PathParam("ctx") String ctx, @QueryParam("rid") String rid);
}
