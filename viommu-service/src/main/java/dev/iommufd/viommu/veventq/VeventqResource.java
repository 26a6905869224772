package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.viommu.viommu.Viommu;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Virtual event queues (IOMMU_VEVENTQ_ALLOC). */
@Path("/v1/contexts/{ctx}/veventqs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VeventqResource {
    /** Kernel limit on a vEVENTQ's depth (1 << 19). */
    static final int MAX_DEPTH = 1 << 19;

    public enum VeventqType { ARM_SMMUV3 }

    public record AllocRequest(Integer viommuId, String type, Long depth) {}

    @POST
    @WithTransaction
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        int viommuId = Require.field(req.viommuId(), "viommuId");
        String type = Require.field(req.type(), "type");
        long depth = Require.field(req.depth(), "depth");
        if (depth == 0 || depth > MAX_DEPTH || depth < 0) {
            throw ErrnoException.of(Errno.EINVAL, "depth must be 1..%d", MAX_DEPTH);
        }
        if (!type.equals(VeventqType.ARM_SMMUV3.name())) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "vEVENTQ type %s not supported", type);
        }
        // Allocation proper (queue rows, EEXIST per type) comes with the vIOMMU itself.
        return Viommu.get(ctx, viommuId).map(v -> {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "vEVENTQ allocation not available yet");
        });
    }
}
