package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.viommu.ioas.IoasNesting;
import dev.iommufd.viommu.ioas.Lifecycle;
import dev.iommufd.viommu.veventq.EventRing.Entry;
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
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * Virtual event queues (IOMMU_VEVENTQ_ALLOC): one per type per vIOMMU (EEXIST, checked in
 * ioas-service with the vIOMMU's reference), depth 1..2^19. The entries are in PostgreSQL
 * ({@link VeventqStore}). Reading consumes; the SSE stream consumes too (one message per entry).
 * The LOST_EVENTS marker is an entry without data.
 */
@Path("/v1/contexts/{ctx}/veventqs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VeventqResource {
    /** Kernel limit on a vEVENTQ's depth (1 << 19). */
    static final int MAX_DEPTH = 1 << 19;

    public enum VeventqType { ARM_SMMUV3 }

    public record AllocRequest(Integer viommuId, String type, Long depth) {}

    public record Created(int id) {}

    @Inject
    Lifecycle life;

    @Inject
    VeventqStore store;

    @Inject
    EventStreams streams;

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        int viommuId = Require.field(req.viommuId(), "viommuId");
        String type = Require.field(req.type(), "type");
        long depth = Require.field(req.depth(), "depth");
        // iommufd_veventq_alloc's order: the type, then the depth, then the vIOMMU
        if (!type.equals(VeventqType.ARM_SMMUV3.name())) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "vEVENTQ type %s not supported", type);
        }
        if (depth == 0 || depth > MAX_DEPTH || depth < 0) {
            throw ErrnoException.of(Errno.EINVAL, "depth must be 1..%d", MAX_DEPTH);
        }
        return life.remote(() -> life.ioas().veventq(ctx, new IoasNesting.VeventqRequest(viommuId, type)))
                .flatMap(a -> life.orRelease(ctx, a.id(), () -> Panache.withTransaction(() -> {
                    Veventq q = new Veventq();
                    q.contextId = ctx;
                    q.id = a.id();
                    q.viommuId = viommuId;
                    q.type = type;
                    q.depth = (int) depth;
                    return q.persist();
                })).map(ignored -> Response.status(201).entity(new Created(a.id())).build()));
    }

    @GET
    @Path("{id}/events")
    public Uni<Map<String, List<Map<String, Object>>>> events(@PathParam("ctx") String ctx, @PathParam("id") int id,
                                                              @QueryParam("max") Integer max) {
        if (max != null && max < 1) {
            throw ErrnoException.of(Errno.EINVAL, "max must be positive");
        }
        return store.consume(ctx, id, max == null ? Integer.MAX_VALUE : max)
                .map(entries -> Map.of("events", entries.stream().map(VeventqResource::view).toList()));
    }

    /**
     * Server-Sent Events: every entry as it arrives (consumed), one per message; also entries
     * another replica stored ({@link EventStreams}). A missing queue is 404 before the stream
     * starts ({@link StreamQueueCheck}); the stream ends when the queue goes.
     */
    @GET
    @Path("{id}/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<Map<String, Object>> stream(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return streams.open(ctx, id).map(VeventqResource::view);
    }

    static Map<String, Object> view(Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence", e.sequence());
        if (e.lostEvents()) {
            m.put("flags", List.of("LOST_EVENTS"));
            return m;
        }
        m.put("flags", List.of());
        m.put("virtId", U64.of(e.event().virtId()).hex());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("type", e.event().type());
        data.put("code", "0x" + Integer.toHexString(e.event().code()));
        data.put("addr", U64.of(e.event().addr()).hex());
        data.put("evt", e.event().evt().stream().map(w -> U64.of(w).hex()).toList());
        m.put("data", data);
        return m;
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return life.destroy(ctx, id, () -> Veventq.get(ctx, id),
                // the entries go with the row (ON DELETE CASCADE); open streams then end
                () -> Veventq.delete("contextId = ?1 and id = ?2", ctx, id), q -> null);
    }
}
