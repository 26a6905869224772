package dev.iommufd.fault.queue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.api.Require;
import dev.iommufd.fault.events.ResponseRelay;
import dev.iommufd.fault.store.FaultStore;
import dev.iommufd.fault.store.Group;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** Fault queues (IOMMU_FAULT_QUEUE_ALLOC): consume page-request groups, answer them by cookie. */
@Path("/v1/contexts/{ctx}/fault-queues")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class FaultQueueResource {

    public record Response(Long cookie, String code) {}

    public record ResponsesRequest(List<Response> responses) {}

    @Inject
    @RestClient
    ObjectIds ids;

    @Inject
    FaultStore store;

    @Inject
    ResponseRelay relay;

    @Inject
    Streams streams;

    public record AllocRequest(List<String> flags) {}

    public record Created(int id) {}

    public record Groups(List<Group> groups) {}

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

    @DELETE
    @Path("{id}")
    @Operation(description = "IOMMU_DESTROY of a fault queue: EBUSY while a HWPT created with it exists (ioas-service holds that"
            + " reference) or an SSE stream is open on it. Every group delivered and not answered yet is answered INVALID.")
    public Uni<jakarta.ws.rs.core.Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.destroy(ctx, id, Housekeeping.STREAM_LIVENESS,
                        () -> ids.release(ctx, id).onFailure().transform(RemoteErrno::of))
                .invoke(n -> {
                    if (n > 0) {
                        relay.kick();
                    }
                })
                .map(ignored -> jakarta.ws.rs.core.Response.noContent().build());
    }

    @GET
    @Path("{id}/faults")
    @Operation(description = "Consumes whole page-request groups in cookie order (at most maxGroups, default all); never blocks."
            + " A consumed group awaits its response (POST …/responses); it is answered INVALID automatically on detach/replace,"
            + " queue destroy, context close or the optional response timeout (iommufd.fault.response-timeout, default off).")
    public Uni<Groups> faults(@PathParam("ctx") String ctx, @PathParam("id") int id, @QueryParam("maxGroups") Integer maxGroups) {
        if (maxGroups != null && maxGroups < 1) {
            throw ErrnoException.of(Errno.EINVAL, "maxGroups must be positive");
        }
        return store.consume(ctx, id, maxGroups).map(Groups::new);
    }

    @GET
    @Path("{id}/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(description = "Server-Sent Events: one group per message ({\"cookie\",\"faults\"}), consumed as by GET …/faults."
            + " While the stream is open the queue cannot be destroyed (EBUSY); the stream ends when its context closes.")
    public Multi<Group> stream(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return streams.open(ctx, id);
    }

    @POST
    @Path("{id}/responses")
    @Operation(description = "Answers consumed groups in order, each {cookie, code SUCCESS|INVALID}. An unknown or already answered"
            + " cookie, or another code, fails with 400 EINVAL and \"accepted\" = responses applied before it, which stay applied"
            + " (iommufd write()). Each accepted response reaches hw-sim as a PAGE_RESPONSE (outbox: never lost).")
    public Uni<Map<String, Integer>> respond(@PathParam("ctx") String ctx, @PathParam("id") int id, ResponsesRequest req) {
        List<Response> responses = Require.field(Require.body(req).responses(), "responses");
        List<Long> cookies = new ArrayList<>();
        List<String> codes = new ArrayList<>();
        for (Response r : responses) {
            Require.field(r, "responses[]");
            cookies.add(Require.field(r.cookie(), "cookie"));
            codes.add(Require.field(r.code(), "code"));
        }
        return store.respond(ctx, id, cookies, codes).map(out -> {
            if (!out.accepted().isEmpty()) {
                relay.kick();
            }
            if (out.error() != null) {
                throw out.error();
            }
            return Map.of("accepted", out.accepted().size());
        });
    }
}
