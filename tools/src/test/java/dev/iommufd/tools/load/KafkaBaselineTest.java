package dev.iommufd.tools.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.devinfra.LocalInfra;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** Against the tests' real broker of the checkout (devinfra LocalInfra), about 2 s. */
class KafkaBaselineTest {
    @Test
    void measuresTheRawRateAndOneHopAndLeavesNoTopic() throws Exception {
        String bootstrap = new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap();
        KafkaBaseline.Result r = KafkaBaseline.measure(bootstrap, Duration.ofSeconds(1), 20);
        assertEquals(20, r.hops());
        assertTrue(r.records() > 100, r.toString());
        assertTrue(r.recordsPerSecond() > 100, r.toString());
        assertTrue(r.seconds() >= 1.0, r.toString());
        assertTrue(r.hopP50Us() > 0 && r.hopP50Us() <= r.hopP99Us() && r.hopP99Us() <= r.hopMaxUs(), r.toString());
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin a = Admin.create(p)) {
            assertFalse(a.listTopics().names().get().stream().anyMatch(t -> t.startsWith("iommuctl.baseline.")));
        }
    }
}
