package dev.iommufd.viommu.viommu;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

@Path("/v1/contexts/{ctx}/viommus")
@Produces(MediaType.APPLICATION_JSON)
public class ViommuResource {

    public record ViommuView(int id, String type, int deviceId, int hwptId, String iommu) {}

    @GET
    @Path("{id}")
    @WithSession
    public Uni<ViommuView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return Viommu.get(ctx, id).map(v -> new ViommuView(v.id, v.type, v.deviceId, v.hwptId, v.iommu));
    }
}
