package dev.iommufd.ioas.context;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Internal (for viommu-service and fault-service; not routed by the Ingress): the one id space of a
 * context. Another service allocates the id of a new object here and releases it on destroy; the
 * object's state stays with that service. Release is EBUSY while an object here refers to it.
 */
@Path("/v1/internal/contexts/{ctx}/objects")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class InternalObjectResource {
    @Inject
    ContextStore store;

    public record AllocRequest(String type) {}

    public record Allocated(int id) {}

    @POST
    public Uni<Response> allocate(@PathParam("ctx") String ctx, AllocRequest req) {
        String type = Require.field(Require.body(req).type(), "type");
        ObjectType kind;
        try {
            kind = ObjectType.valueOf(type);
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "unknown object type %s", type);
        }
        if (kind.owner().equals("ioas-service")) {
            throw ErrnoException.of(Errno.EINVAL, "%s objects are made by ioas-service itself", kind);
        }
        return store.write(ctx, st -> {
            ExternalObject o = new ExternalObject();
            o.kind = kind;
            return Response.status(201).entity(new Allocated(st.add(o).id)).build();
        });
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> release(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.write(ctx, st -> {
            st.destroy(id, ExternalObject.class, "object");
            return Response.noContent().build();
        });
    }
}
