package dev.iommufd.fault.queue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import dev.iommufd.contract.api.Flags;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;

/** Fault queues: consume page-request groups, answer them by cookie. */
@Path("/v1/contexts/{ctx}/fault-queues")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class FaultQueueResource {

    public record Response(Long cookie, String code) {}

    public record ResponsesRequest(List<Response> responses) {}

    @Inject
    @RestClient
    ObjectIds ids;

    public record AllocRequest(List<String> flags) {}

    public record Created(int id) {}

    enum NoFlag {}

    /** IOMMU_FAULT_QUEUE_ALLOC: the id comes from the context's id space in ioas-service. */
    @POST
    public Uni<jakarta.ws.rs.core.Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        if (req != null) {
            Flags.parse(req.flags(), NoFlag.class);
        }
        return ids.allocate(ctx, new ObjectIds.AllocRequest("FAULT"))
                .onFailure().transform(RemoteErrno::of)
                .flatMap(a -> Panache.withTransaction(() -> {
                    FaultQueue q = new FaultQueue();
                    q.contextId = ctx;
                    q.id = a.id();
                    return q.persist();
                }).onFailure().call(t -> ids.release(ctx, a.id()).onFailure().recoverWithNull())
                        .map(ignored -> jakarta.ws.rs.core.Response.status(201).entity(new Created(a.id())).build()));
    }

    /** Destroy: EBUSY while a HWPT was created with it (ioas-service holds that reference). */
    @DELETE
    @Path("{id}")
    public Uni<jakarta.ws.rs.core.Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return Panache.withTransaction(() -> FaultQueue.get(ctx, id)
                .call(q -> ids.release(ctx, id).onFailure().transform(RemoteErrno::of))
                .call(q -> q.delete()))
                .map(ignored -> jakarta.ws.rs.core.Response.noContent().build());
    }

    @GET
    @Path("{id}/faults")
    @WithSession
    public Uni<Map<String, List<Object>>> faults(@PathParam("ctx") String ctx, @PathParam("id") int id,
                                                 @QueryParam("maxGroups") Integer maxGroups) {
        if (maxGroups != null && maxGroups < 1) {
            throw ErrnoException.of(Errno.EINVAL, "maxGroups must be positive");
        }
        // Page-request groups arrive with PRI delivery; a queue without any delivers none.
        return FaultQueue.get(ctx, id).map(q -> Map.of("groups", List.of()));
    }

    @POST
    @Path("{id}/responses")
    @WithSession
    public Uni<Map<String, Integer>> respond(@PathParam("ctx") String ctx, @PathParam("id") int id, ResponsesRequest req) {
        List<Response> responses = Require.field(Require.body(req).responses(), "responses");
        for (Response r : responses) {
            Require.field(r, "responses[]");
            Require.field(r.cookie(), "cookie");
            Require.field(r.code(), "code");
        }
        // No group is ever pending before PRI delivery exists, so every cookie is unknown: EINVAL
        // at the first response with entries before it accepted (none), as iommufd's write().
        return FaultQueue.get(ctx, id).map(q -> {
            if (responses.isEmpty()) {
                return Map.of("accepted", 0);
            }
            throw new ErrnoException(Errno.EINVAL, "unknown cookie " + responses.get(0).cookie(), Map.of("accepted", 0));
        });
    }
}
