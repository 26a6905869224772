package dev.iommufd.ioas.memory;

import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.ioas.context.ContextStore;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** MEMORY objects: the VMM's memory, backed by contiguous simulated host memory. */
@Path("/v1/contexts/{ctx}/memory")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class MemoryResource {
    private static final long HUGE = 2L << 20;

    @Inject
    ContextStore store;

    public record CreateRequest(U64 length) {}

    public record MemoryView(int id, U64 userVa, U64 length, U64 hostPa) {
        static MemoryView of(MemoryObject m) {
            return new MemoryView(m.id, U64.of(m.userVa), U64.of(m.length), U64.of(m.hostPa));
        }
    }

    @POST
    public Uni<Response> create(@PathParam("ctx") String ctx, CreateRequest req) {
        long length = Require.field(Require.body(req).length(), "length").bits();
        MemoryOps.checkLength(length);
        return store.writeAsync(ctx, (c, st) -> allocateHostPa(length)
                .map(pa -> Response.status(201).entity(MemoryView.of(MemoryOps.create(st, length, pa))).build()));
    }

    @GET
    @Path("{id}")
    public Uni<MemoryView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> MemoryView.of(st.get(id, MemoryObject.class, "memory")));
    }

    /** EBUSY while any IOAS mapping uses it. */
    @DELETE
    @Path("{id}")
    public Uni<Response> delete(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.write(ctx, st -> {
            st.destroy(id, MemoryObject.class, "memory");
            return Response.noContent().build();
        });
    }

    /** Bump allocation of 2 MiB-aligned host physical ranges, in the caller's transaction. */
    static Uni<Long> allocateHostPa(long length) {
        long span = (length + HUGE - 1) & -HUGE;
        return HostMemoryCursor.<HostMemoryCursor>findById(1, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE).map(c -> {
            long pa = c.nextPa;
            c.nextPa += span;
            return pa;
        });
    }
}
