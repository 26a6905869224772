package dev.iommufd.ioas.hw;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.Completion;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.regex.Pattern;

/**
 * Internal (not in API.md, not routed by the Ingress): a round trip through one IOMMU's command
 * queue. It is the building block of strict unmap and a health probe of the Kafka path.
 */
@Path("/v1/internal/iommus/{iommu}/sync")
@Produces(MediaType.APPLICATION_JSON)
public class HwAdminResource {
    private static final Pattern IOMMU_ID = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    @Inject
    HwQueueGateway gateway;

    public record SyncResult(String iommu, String correlationId, long sequence, long latencyUs) {}

    @POST
    public Uni<SyncResult> sync(@PathParam("iommu") String iommu) {
        if (!IOMMU_ID.matcher(iommu).matches()) {
            throw ErrnoException.of(Errno.EINVAL, "bad IOMMU id");
        }
        long start = System.nanoTime();
        return HwQueueGateway.eioOnTimeout(gateway.sync(iommu, null), "the sync on IOMMU " + iommu)
                .map(e -> new SyncResult(iommu, e.correlationId(), ((Completion) e.payload()).upToSequence(),
                        (System.nanoTime() - start) / 1000));
    }
}
