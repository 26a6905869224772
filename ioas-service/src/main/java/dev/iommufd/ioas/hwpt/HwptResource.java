package dev.iommufd.ioas.hwpt;

import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.api.Require;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.hwpt.HwptPagingObject.Flag;
import dev.iommufd.ioas.topology.TopologySource;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.ioas.hw.HwQueueGateway;
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
import java.util.List;
import java.util.Set;

/** Paging HWPTs (IOMMU_HWPT_ALLOC on an IOAS). */
@Path("/v1/contexts/{ctx}/hwpts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class HwptResource {
    @Inject
    ContextStore store;

    @Inject
    TopologySource topology;

    @Inject
    HwQueueGateway gateway;

    public record AllocRequest(Integer deviceId, Integer ptId, List<String> flags, Integer faultId) {}

    public record Created(int id) {}

    public record HwptView(int id, String type, int ioasId, String iommu, List<String> flags, boolean auto, int users,
                           boolean dirtyTracking) {}

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        Set<Flag> flags = Flags.parse(req.flags(), Flag.class);
        int deviceId = Require.field(req.deviceId(), "deviceId");
        int ptId = Require.field(req.ptId(), "ptId");
        return topology.topology().flatMap(topo -> store.write(ctx, st -> Response.status(201)
                .entity(new Created(HwptOps.alloc(st, topo, deviceId, ptId, flags, req.faultId()).id)).build()));
    }

    @GET
    @Path("{id}")
    public Uni<HwptView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            HwptPagingObject h = HwptOps.get(st, id);
            return new HwptView(h.id, "HWPT_PAGING", h.ioasId, h.iommu, Flags.names(h.flags), h.auto, h.users, h.dirtyTracking);
        });
    }

    public record DirtyTrackingRequest(Boolean enable) {}

    public record DirtyBitmapRequest(U64 iova, U64 length, U64 pageSize, List<String> flags) {}

    public record DirtyBitmap(String bitmap, long dirtyPages) {}

    public enum BitmapFlag { NO_CLEAR }

    /** IOMMU_HWPT_SET_DIRTY_TRACKING. */
    @POST
    @Path("{id}/dirty-tracking")
    public Uni<DirtyTrackingRequest> dirtyTracking(@PathParam("ctx") String ctx, @PathParam("id") int id, DirtyTrackingRequest req) {
        boolean enable = Require.field(Require.body(req).enable(), "enable");
        return store.write(ctx, st -> {
            DirtyTracking.set(st, HwptOps.get(st, id), enable);
            return new DirtyTrackingRequest(enable);
        });
    }

    /** IOMMU_HWPT_GET_DIRTY_BITMAP: one bit per {@code pageSize} page, little-endian u64 words, base64. */
    @POST
    @Path("{id}/dirty-bitmap")
    public Uni<DirtyBitmap> dirtyBitmap(@PathParam("ctx") String ctx, @PathParam("id") int id, DirtyBitmapRequest req) {
        Require.body(req);
        Set<BitmapFlag> flags = Flags.parse(req.flags(), BitmapFlag.class);
        DirtyTracking.Query q = DirtyTracking.query(Require.field(req.iova(), "iova").bits(), Require.field(req.length(), "length").bits(),
                Require.field(req.pageSize(), "pageSize").bits(), flags.contains(BitmapFlag.NO_CLEAR));
        return store.read(ctx, st -> DirtyTracking.check(st, HwptOps.get(st, id), q))
                .flatMap(read -> HwQueueGateway.eioOnTimeout(gateway.request(read.key(), ctx, read.command()), "the dirty read"))
                .map(answer -> {
                    DirtyTracking.Bitmap b = DirtyTracking.bitmap(q, ((DirtyReport) answer.payload()).dirtyPages());
                    return new DirtyBitmap(b.base64(), b.dirtyPages());
                });
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.write(ctx, st -> {
            HwptOps.destroy(st, HwptOps.get(st, id));
            return Response.noContent().build();
        });
    }
}
