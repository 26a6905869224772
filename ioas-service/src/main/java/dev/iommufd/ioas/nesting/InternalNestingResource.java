package dev.iommufd.ioas.nesting;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import dev.iommufd.ioas.topology.TopologySource;
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
import java.util.Map;

/**
 * Internal (viommu-service only; not routed by an Ingress): the synchronous checks and id
 * allocations of vIOMMUs, vdevices, nested HWPTs and vEVENTQs in the context's one id space, the
 * references they hold, and their release. Every answer carries what viommu-service needs so it
 * never reads ioas-service's tables (domain names, IOMMU, RID, stream id).
 */
@Path("/v1/internal/contexts/{ctx}/nesting")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class InternalNestingResource {
    @Inject
    ContextStore store;

    @Inject
    TopologySource topology;

    public record ViommuRequest(String type, Integer deviceId, Integer hwptId) {}

    public record ViommuAllocated(int id, String iommu, String parentDomain, int parentHwptId) {}

    public record VdeviceRequest(Integer viommuId, Integer deviceId, U64 virtId) {}

    public record VdeviceAllocated(int id, String rid, Integer sid, String iommu, boolean ats) {}

    public record NestedRequest(Integer deviceId, Integer ptId, List<String> flags, Integer faultId) {}

    public record NestedAllocated(int id, String iommu, String iommuType, int addressWidth, int parentHwptId,
                                  String parentDomain, Integer viommuId, Integer faultId) {}

    public record VeventqRequest(Integer viommuId, String type) {}

    public record Allocated(int id) {}

    public record ObjectRef(int id, String type) {}

    public record AttachedDevice(int id, String rid, boolean ats) {}

    @POST
    @Path("viommus")
    public Uni<Response> viommu(@PathParam("ctx") String ctx, ViommuRequest req) {
        Require.body(req);
        String type = Require.field(req.type(), "type");
        int deviceId = Require.field(req.deviceId(), "deviceId");
        int hwptId = Require.field(req.hwptId(), "hwptId");
        return topology.topology().flatMap(topo -> store.write(ctx, st -> {
            ViommuObject v = NestingOps.allocViommu(st, topo, type, deviceId, hwptId);
            return created(new ViommuAllocated(v.id, v.iommu, st.domainName(v.parentHwptId), v.parentHwptId));
        }));
    }

    @POST
    @Path("vdevices")
    public Uni<Response> vdevice(@PathParam("ctx") String ctx, VdeviceRequest req) {
        Require.body(req);
        int viommuId = Require.field(req.viommuId(), "viommuId");
        int deviceId = Require.field(req.deviceId(), "deviceId");
        long virtId = Require.field(req.virtId(), "virtId").bits();
        return topology.topology().flatMap(topo -> store.write(ctx, st -> {
            VdeviceObject vd = NestingOps.allocVdevice(st, viommuId, deviceId, virtId);
            DeviceObject dev = st.get(deviceId, DeviceObject.class, "device");
            Integer sid = HwptOps.deviceSpec(topo, dev).sid();
            return created(new VdeviceAllocated(vd.id, dev.rid, sid, dev.iommu, dev.ats));
        }));
    }

    @POST
    @Path("nested-hwpts")
    public Uni<Response> nested(@PathParam("ctx") String ctx, NestedRequest req) {
        Require.body(req);
        int deviceId = Require.field(req.deviceId(), "deviceId");
        int ptId = Require.field(req.ptId(), "ptId");
        var flags = Flags.parse(req.flags(), NestingOps.NestedFlag.class);
        return topology.topology().flatMap(topo -> store.write(ctx, st -> {
            NestedHwptObject n = NestingOps.allocNested(st, topo, deviceId, ptId, flags, req.faultId());
            HwptPagingObject parent = HwptOps.get(st, n.parentHwptId);
            int width = topo.iommu(n.iommu).map(i -> i.addressWidth()).orElse(parent.addressWidth);
            return created(new NestedAllocated(n.id, n.iommu, n.iommuType, width, parent.id, st.domainName(parent.id),
                    n.viommuId, n.faultId));
        }));
    }

    @POST
    @Path("veventqs")
    public Uni<Response> veventq(@PathParam("ctx") String ctx, VeventqRequest req) {
        Require.body(req);
        int viommuId = Require.field(req.viommuId(), "viommuId");
        String type = Require.field(req.type(), "type");
        return store.write(ctx, st -> created(new Allocated(NestingOps.allocVeventq(st, viommuId, type).id)));
    }

    /** IOMMU_DESTROY's table part: ENOENT unless one of viommu-service's objects, EBUSY while held. */
    @DELETE
    @Path("{id}")
    public Uni<Response> release(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.write(ctx, st -> {
            NestingOps.release(st, id);
            return Response.noContent().build();
        });
    }

    /** The type of any object of the context (invalidating a paging HWPT is EINVAL, a missing id ENOENT). */
    @GET
    @Path("objects/{id}")
    public Uni<ObjectRef> object(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            IommufdObject o = st.find(id);
            if (o == null) {
                throw ErrnoException.of(Errno.ENOENT, "no object %d", id);
            }
            return new ObjectRef(o.id, o.type().name());
        });
    }

    /** Devices whose RID is attached to nested HWPT {@code id}: a user invalidation also flushes their ATC. */
    @GET
    @Path("nested-hwpts/{id}/devices")
    public Uni<Map<String, List<AttachedDevice>>> attached(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            st.get(id, NestedHwptObject.class, "nested HWPT");
            return Map.of("devices", st.all(DeviceObject.class).stream()
                    .filter(d -> Integer.valueOf(id).equals(d.attachedHwpt) || d.pasids.containsValue(id))
                    .map(d -> new AttachedDevice(d.id, d.rid, d.ats)).toList());
        });
    }

    private static Response created(Object body) {
        return Response.status(201).entity(body).build();
    }
}
