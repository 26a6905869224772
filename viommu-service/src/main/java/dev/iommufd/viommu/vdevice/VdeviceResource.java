package dev.iommufd.viommu.vdevice;

import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.viommu.ioas.IoasNesting;
import dev.iommufd.viommu.ioas.Lifecycle;
import dev.iommufd.viommu.ioas.RemoteErrno;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
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

/**
 * vdevices (IOMMU_VDEVICE_ALLOC): ioas-service checks the vIOMMU, the device, the IOMMU instance
 * (EINVAL) and the EEXIST rules under the context lock; we keep virtId, RID and physical SID for
 * command translation and event routing. No hardware command: a vdevice is a table of the vIOMMU.
 */
@Path("/v1/contexts/{ctx}/vdevices")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VdeviceResource {
    public record AllocRequest(Integer viommuId, Integer deviceId, U64 virtId) {}

    public record Created(int id) {}

    public record VdeviceView(int id, int viommuId, int deviceId, U64 virtId, String rid) {}

    @Inject
    Lifecycle life;

    /**
     * An unbind between ioas-service's allocation and our commit force-destroyed the vdevice and its
     * VDEVICE_GONE may have found no row to drop: ask ioas-service once our row is committed (any
     * later VDEVICE_GONE finds it) and drop it if the id is gone. The call still answers 201, as if
     * the unbind came right after the allocation: a destroy then answers ENOENT.
     */
    private Uni<Void> goneMeanwhile(String ctx, int id) {
        return life.ioas().object(ctx, id).replaceWithVoid()
                .onFailure(t -> RemoteErrno.of(t) instanceof ErrnoException e && e.errno() == Errno.ENOENT)
                .recoverWithUni(() -> Panache.withTransaction(() -> Vdevice.delete("contextId = ?1 and id = ?2", ctx, id)).replaceWithVoid())
                .onFailure().recoverWithNull(); // ioas-service unreachable: the row stays until VDEVICE_GONE or destroy
    }

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        int viommuId = Require.field(req.viommuId(), "viommuId");
        int deviceId = Require.field(req.deviceId(), "deviceId");
        long virtId = Require.field(req.virtId(), "virtId").bits();
        return life.remote(() -> life.ioas().vdevice(ctx, new IoasNesting.VdeviceRequest(viommuId, deviceId, U64.of(virtId).hex())))
                .flatMap(a -> life.orRelease(ctx, a.id(), () -> Panache.withTransaction(() -> {
                    Vdevice v = new Vdevice();
                    v.contextId = ctx;
                    v.id = a.id();
                    v.viommuId = viommuId;
                    v.deviceId = deviceId;
                    v.virtId = virtId;
                    v.rid = a.rid();
                    v.sid = a.sid();
                    v.iommu = a.iommu();
                    return v.persist();
                }).call(() -> goneMeanwhile(ctx, a.id()))).map(ignored -> Response.status(201).entity(new Created(a.id())).build()));
    }

    @GET
    @Path("{id}")
    @WithSession
    public Uni<VdeviceView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return Vdevice.get(ctx, id).map(v -> new VdeviceView(v.id, v.viommuId, v.deviceId, U64.of(v.virtId), v.rid));
    }

    /** IOMMU_DESTROY; ENOENT once an unbind force-destroyed it (its id stays reserved in ioas-service). */
    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return life.destroy(ctx, id, () -> Vdevice.get(ctx, id),
                () -> Vdevice.delete("contextId = ?1 and id = ?2", ctx, id), v -> null);
    }
}
