package dev.iommufd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The facts read from the services' sources are the ones the issue names (so the derivation cannot silently find nothing). */
class ServiceFactsTest {
    final Map<String, ServiceFacts> facts = ServiceFacts.all().stream().collect(Collectors.toMap(ServiceFacts::name, Function.identity()));

    @Test
    void requiredEnvironment() {
        assertTrue(facts.get("ioas-service").requiredEnv().keySet().containsAll(Set.of("KAFKA_BOOTSTRAP_SERVERS", "IOMMUFD_JDBC_URL",
                "IOMMUFD_REACTIVE_URL", "IOMMUFD_DB_USER", "IOMMUFD_DB_PASSWORD", "IOMMUFD_TOKEN_PUBLIC_KEY", "IOMMUFD_TOKEN_PRIVATE_KEY",
                "IOMMUFD_SERVICES_HW_SIM_URL", "IOMMUFD_SERVICES_FAULT_URL", "IOMMUFD_SERVICES_VIOMMU_URL")), facts.get("ioas-service").requiredEnv().toString());
        assertTrue(facts.get("fault-service").requiredEnv().containsKey("IOMMUFD_SERVICES_IOAS_URL"));
        assertEquals(Set.of("IOMMUFD_TOKEN_PUBLIC_KEY", "KAFKA_BOOTSTRAP_SERVERS"), facts.get("hw-sim").requiredEnv().keySet());
        assertFalse(facts.get("ioas-service").requiredEnv().containsKey("IOAS_SERVICE_PORT"), "a port with a default is not required");
    }

    @Test
    void portsTopicsAndPaths() {
        assertEquals(Map.of("ioas-service", 8081, "viommu-service", 8082, "fault-service", 8083, "hw-sim", 8084),
                facts.values().stream().collect(Collectors.toMap(ServiceFacts::name, ServiceFacts::httpPort)));
        assertTrue(ServiceFacts.contractTopics().containsAll(Set.of("iommufd.hw.commands", "iommufd.hw.completions", "iommufd.dead-letter")));
        assertEquals(Set.of("iommufd.hw.commands"), facts.get("hw-sim").replayedTopics());
        assertTrue(facts.get("ioas-service").resourcePaths().contains("/v1/contexts"));
        assertTrue(facts.get("ioas-service").resourcePaths().stream().anyMatch(p -> p.startsWith("/v1/internal")));
        assertTrue(facts.get("hw-sim").resourcePaths().contains("/v1/hw"));
        assertFalse(facts.get("hw-sim").usesDatabase());
        assertTrue(ServiceFacts.meterNames().containsAll(Set.of("iommufd_ioas_unmap", "iommufd_hw_iotlb_hits", "iommufd_hw_stale_translations",
                "iommufd_fault_groups_pending")));
    }

    @Test
    void usableDefaults() {
        assertFalse(ServiceFacts.usableInCluster("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"));
        assertFalse(ServiceFacts.usableInCluster("IOMMUFD_TOKEN_PUBLIC_KEY", ".run/keys/token-public.pem"));
        assertFalse(ServiceFacts.usableInCluster("IOMMUFD_DB_PASSWORD", "iommufd"));
        assertTrue(ServiceFacts.usableInCluster("IOAS_SERVICE_PORT", "8081"));
        assertEquals("IOMMUFD_SERVICES_HW_SIM_URL", ServiceFacts.envName("iommufd.services.hw-sim-url"));
    }
}
