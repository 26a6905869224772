package dev.iommufd.ioas.device;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.ioas.context.ContextStore;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * Internal (for fault-service; not routed by the Ingress): the DEVICE object bound to a RID in a
 * context. A page request names its requester by RID; the fault a VMM reads names the device id.
 * 404 ENOENT when the context does not exist or has no device with that RID.
 */
@Path("/v1/internal/contexts/{ctx}/devices")
@Produces(MediaType.APPLICATION_JSON)
public class InternalDeviceResource {
    @Inject
    ContextStore store;

    public record DeviceRef(int id, String rid) {}

    @GET
    public Uni<DeviceRef> byRid(@PathParam("ctx") String ctx, @QueryParam("rid") String rid) {
        Require.field(rid, "rid");
        return store.read(ctx, st -> st.all(DeviceObject.class).stream()
                .filter(d -> d.rid.equals(rid))
                .findFirst()
                .map(d -> new DeviceRef(d.id, d.rid))
                .orElseThrow(() -> ErrnoException.of(Errno.ENOENT, "no device %s in this context", rid)));
    }
}
