package dev.iommufd.viommu.viommu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.events.ViommuAlloc;
import dev.iommufd.contract.events.ViommuFree;
import dev.iommufd.viommu.invalidate.InvalidateBody;
import dev.iommufd.viommu.invalidate.Invalidations;
import dev.iommufd.viommu.ioas.IoasNesting;
import dev.iommufd.viommu.ioas.Lifecycle;
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
import java.util.List;
import java.util.Map;

/**
 * vIOMMUs (IOMMU_VIOMMU_ALLOC) and SMMUv3 user invalidation (IOMMU_HWPT_INVALIDATE on a vIOMMU).
 * Allocation: ioas-service checks device and parent and takes the parent's reference under the
 * context lock and allocates the id; the row and VIOMMU_ALLOC (hw-sim gives the VMID) are committed
 * together (outbox) and the call answers once hw-sim completed it.
 */
@Path("/v1/contexts/{ctx}/viommus")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ViommuResource {
    public enum ViommuType { ARM_SMMUV3, INTEL_VTD }

    public record AllocRequest(String type, Integer deviceId, Integer hwptId) {}

    public record Created(int id) {}

    public record ViommuView(int id, String type, int deviceId, int hwptId, String iommu) {}

    @Inject
    Lifecycle life;

    @Inject
    Invalidations invalidations;

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        String type = Require.field(req.type(), "type");
        if (!List.of("ARM_SMMUV3", "INTEL_VTD").contains(type)) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "vIOMMU type %s not supported", type);
        }
        int deviceId = Require.field(req.deviceId(), "deviceId");
        int hwptId = Require.field(req.hwptId(), "hwptId");
        return life.remote(() -> life.ioas().viommu(ctx, new IoasNesting.ViommuRequest(type, deviceId, hwptId)))
                .flatMap(a -> life.orRelease(ctx, a.id(), () -> {
                    Viommu v = new Viommu();
                    v.contextId = ctx;
                    v.id = a.id();
                    v.type = type;
                    v.deviceId = deviceId;
                    v.hwptId = hwptId;
                    v.iommu = a.iommu();
                    v.parentDomain = a.parentDomain();
                    // hw-sim did not complete: undo (row out, VIOMMU_FREE behind the ALLOC), then the id goes back
                    return life.commitAndApply(ctx, v::persist, new Lifecycle.HwWork(a.iommu(), List.of(new ViommuAlloc(v.hwName(), a.iommu(), a.parentDomain(), type))),
                                    () -> Viommu.delete("contextId = ?1 and id = ?2", ctx, a.id()),
                                    new Lifecycle.HwWork(a.iommu(), List.of(new ViommuFree(v.hwName()))))
                            .replaceWith(a);
                }))
                .map(x -> Response.status(201).entity(new Created(x.id())).build());
    }

    @GET
    @Path("{id}")
    @WithSession
    public Uni<ViommuView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return Viommu.get(ctx, id).map(v -> new ViommuView(v.id, v.type, v.deviceId, v.hwptId, v.iommu));
    }

    /** IOMMU_DESTROY: EBUSY while vdevices, nested HWPTs or vEVENTQs hold it (ioas-service counts them); hw-sim frees its VMID. */
    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return life.destroy(ctx, id, () -> Viommu.get(ctx, id),
                () -> Viommu.delete("contextId = ?1 and id = ?2", ctx, id),
                v -> new Lifecycle.HwWork(v.iommu, List.of(new ViommuFree(v.hwName()))));
    }

    /** IOMMU_HWPT_INVALIDATE with ARM_SMMUV3 commands: {@code entryNum} = commands applied (also in an error's body). */
    @POST
    @Path("{id}/invalidate")
    @Consumes(MediaType.WILDCARD) // any body reaches InvalidateBody, so even a non-JSON one fails with entryNum 0
    public Uni<Map<String, Integer>> invalidate(@PathParam("ctx") String ctx, @PathParam("id") int id,
            @org.eclipse.microprofile.openapi.annotations.parameters.RequestBody(content = @org.eclipse.microprofile.openapi.annotations.media.Content(
                    mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = InvalidateBody.Doc.class))) String body) {
        return invalidations.smmu(ctx, id, InvalidateBody.parse(body));
    }
}
