package dev.iommufd.ioas.device;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.ioas.context.BoundDevice;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.topology.TopologySource;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import java.util.LinkedHashMap;
import java.util.Map;

/** Devices: VFIO cdev bind, attach/replace/detach of the RID and of PASIDs, hw-info. */
@Path("/v1/contexts/{ctx}/devices")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class DeviceResource {
    @Inject
    ContextStore store;

    @Inject
    TopologySource topology;

    public record BindRequest(String rid) {}

    public record BindView(int id, String rid, String iommu) {}

    public record AttachRequest(Integer ptId) {}

    public record Attached(int hwptId) {}

    public record DeviceView(int id, String rid, String iommu, Attached attached, Map<String, Integer> pasids) {}

    @POST
    public Uni<Response> bind(@PathParam("ctx") String ctx, BindRequest req) {
        String rid = Require.field(Require.body(req).rid(), "rid");
        return topology.topology().flatMap(topo -> store.writeAsync(ctx, (c, st) -> {
            DeviceObject d = DeviceOps.bind(st, topo, rid);
            return BoundDevice.<BoundDevice>findById(rid).flatMap(other -> {
                if (other != null) {
                    throw ErrnoException.of(Errno.EBUSY, "device %s is bound in another context", rid);
                }
                BoundDevice b = new BoundDevice();
                b.rid = rid;
                b.contextId = ctx;
                b.deviceId = d.id;
                return b.persist();
            }).map(ignored -> Response.status(201).entity(new BindView(d.id, d.rid, d.iommu)).build());
        }));
    }

    @DELETE
    @Path("{id}")
    @Operation(description = "Unbind: detaches the RID and every PASID and force-destroys the device's vdevice; "
            + "viommu-service learns it from VDEVICE_GONE on iommufd.contexts, written in the unbind's transaction.")
    public Uni<Response> unbind(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return topology.topology().flatMap(topo -> store.writeAsync(ctx, (c, st) -> {
            String rid = DeviceOps.get(st, id).rid;
            DeviceOps.unbind(st, topo, id);
            return BoundDevice.delete("rid", rid).map(n -> Response.noContent().build());
        }));
    }

    @GET
    @Path("{id}")
    public Uni<DeviceView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> view(DeviceOps.get(st, id)));
    }

    @GET
    @Path("{id}/hw-info")
    public Uni<HwInfo> hwInfo(@PathParam("ctx") String ctx, @PathParam("id") int id, @QueryParam("type") String type) {
        return topology.topology().flatMap(topo -> store.read(ctx, st -> HwInfo.of(topo, DeviceOps.get(st, id), type)));
    }

    @PUT
    @Path("{id}/attachment")
    public Uni<Attached> attach(@PathParam("ctx") String ctx, @PathParam("id") int id, AttachRequest req) {
        int ptId = Require.field(Require.body(req).ptId(), "ptId");
        return topology.topology().flatMap(topo -> store.write(ctx, st -> new Attached(DeviceOps.attachAny(st, topo, id, ptId))));
    }

    @DELETE
    @Path("{id}/attachment")
    public Uni<Response> detach(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return topology.topology().flatMap(topo -> store.write(ctx, st -> {
            DeviceOps.detach(st, topo, id);
            return Response.noContent().build();
        }));
    }

    @PUT
    @Path("{id}/pasids/{pasid}/attachment")
    @Operation(description = "RID+PASID attach or replace to a paging HWPT or a nested HWPT, both allocated with PASID "
            + "(and the RID's HWPT too, if any), else EINVAL. VT-d nested HWPTs take PASIDs (first stage over the parent), "
            + "under the RID attach rules (same IOMMU, the vdevice when made on a vIOMMU); SMMUv3 nested HWPTs are "
            + "EOPNOTSUPP (their STE belongs to the RID).")
    public Uni<Attached> attachPasid(@PathParam("ctx") String ctx, @PathParam("id") int id, @PathParam("pasid") int pasid,
                                     AttachRequest req) {
        int ptId = Require.field(Require.body(req).ptId(), "ptId");
        return topology.topology().flatMap(topo -> store.write(ctx,
                st -> new Attached(DeviceOps.attachPasid(st, topo, id, pasid, ptId))));
    }

    @DELETE
    @Path("{id}/pasids/{pasid}/attachment")
    public Uni<Response> detachPasid(@PathParam("ctx") String ctx, @PathParam("id") int id, @PathParam("pasid") int pasid) {
        return topology.topology().flatMap(topo -> store.write(ctx, st -> {
            DeviceOps.detachPasid(st, topo, id, pasid);
            return Response.noContent().build();
        }));
    }

    static DeviceView view(DeviceObject d) {
        Map<String, Integer> pasids = new LinkedHashMap<>();
        d.pasids.forEach((p, h) -> pasids.put(Integer.toString(p), h));
        return new DeviceView(d.id, d.rid, d.iommu, d.attachedHwpt == null ? null : new Attached(d.attachedHwpt), pasids);
    }
}
