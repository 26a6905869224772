package dev.iommufd.viommu.ioas;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.util.List;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * ioas-service's internal nesting API: the synchronous checks that need its objects (devices,
 * paging HWPTs, fault queues), id allocation in the context's one id space, the references our
 * objects hold there, and their release (EBUSY while held). Errors come back as API.md bodies.
 */
@RegisterRestClient(configKey = "ioas")
@Path("/v1/internal/contexts/{ctx}/nesting")
public interface IoasNesting {
    record ViommuRequest(String type, int deviceId, int hwptId) {}

    record ViommuAllocated(int id, String iommu, String parentDomain, int parentHwptId) {}

    record VdeviceRequest(int viommuId, int deviceId, String virtId) {}

    record VdeviceAllocated(int id, String rid, Integer sid, String iommu, boolean ats) {}

    record NestedRequest(int deviceId, int ptId, List<String> flags, Integer faultId) {}

    record NestedAllocated(int id, String iommu, String iommuType, int addressWidth, int parentHwptId,
                           String parentDomain, Integer viommuId, Integer faultId) {}

    record VeventqRequest(int viommuId, String type) {}

    record Allocated(int id) {}

    record ObjectRef(int id, String type) {}

    record AttachedDevice(int id, String rid, boolean ats) {}

    record AttachedDevices(List<AttachedDevice> devices) {}

    @POST
    @Path("viommus")
    Uni<ViommuAllocated> viommu(@PathParam("ctx") String ctx, ViommuRequest req);

    @POST
    @Path("vdevices")
    Uni<VdeviceAllocated> vdevice(@PathParam("ctx") String ctx, VdeviceRequest req);

    @POST
    @Path("nested-hwpts")
    Uni<NestedAllocated> nested(@PathParam("ctx") String ctx, NestedRequest req);

    @POST
    @Path("veventqs")
    Uni<Allocated> veventq(@PathParam("ctx") String ctx, VeventqRequest req);

    @DELETE
    @Path("{id}")
    Uni<Void> release(@PathParam("ctx") String ctx, @PathParam("id") int id);

    @GET
    @Path("objects/{id}")
    Uni<ObjectRef> object(@PathParam("ctx") String ctx, @PathParam("id") int id);

    @GET
    @Path("nested-hwpts/{id}/devices")
    Uni<AttachedDevices> attached(@PathParam("ctx") String ctx, @PathParam("id") int id);
}
