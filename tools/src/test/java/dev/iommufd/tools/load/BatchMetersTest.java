package dev.iommufd.tools.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class BatchMetersTest {
    static final String PAGE = """
            # HELP iommufd_viommu_invalidation_batch_entries invalidation entries per Kafka batch
            # TYPE iommufd_viommu_invalidation_batch_entries summary
            iommufd_viommu_invalidation_batch_entries_count 3008.0
            iommufd_viommu_invalidation_batch_entries_sum 736734.0
            iommufd_viommu_invalidation_batch_entries_max 8192.0
            iommufd_viommu_invalidation_latency_seconds_bucket{le="0.001"} 0
            iommufd_viommu_invalidation_latency_seconds_count 5952.0
            iommufd_viommu_invalidation_latency_seconds_sum 317.438984426
            http_server_requests_seconds_count{method="POST",uri="/x"} 99.0
            jvm_info{runtime="OpenJDK Runtime Environment",vendor="Debian",version="17.0.15"} 1.0
            http_server_requests_seconds_bucket{le="+Inf"} +Inf
            """;

    @Test
    void readsTheThreeMetersAndTheirDifference() {
        BatchMeters now = BatchMeters.parse(PAGE);
        assertEquals(new BatchMeters(5952, 3008, 736734), now);
        BatchMeters d = now.since(new BatchMeters(952, 8, 734));
        assertEquals(new BatchMeters(5000, 3000, 736000), d);
        assertEquals(5000.0 / 3000, d.callsPerBatch(), 1e-9);
        assertEquals(736000.0 / 3000, d.entriesPerBatch(), 1e-9);
        assertTrue(d.text().contains("5000 calls in 3000 batches"), d.text());
        ObjectNode j = new ObjectMapper().createObjectNode();
        d.into(j);
        assertEquals(3000, j.path("viommuBatches").path("batches").asLong());
    }

    @Test
    void noInvalidationYetReadsZero() {
        BatchMeters b = BatchMeters.parse("# nothing\nhttp_server_requests_seconds_count 3.0\n");
        assertEquals(new BatchMeters(0, 0, 0), b);
        assertTrue(Double.isNaN(b.callsPerBatch()));
    }
}
