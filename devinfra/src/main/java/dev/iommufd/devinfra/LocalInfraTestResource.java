package dev.iommufd.devinfra;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points a {@code @QuarkusTest} at the checkout's real Kafka and PostgreSQL, starting them when
 * they are not running. They are left running for the next module's tests; {@code iommuctl down}
 * (or .ci/run at its end) stops them.
 */
public class LocalInfraTestResource implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        LocalInfra infra = new LocalInfra(LocalInfra.repoRoot());
        infra.ensureUp();
        // every test run gets an empty database: nothing one run leaves (a bound device) meets the next
        return infra.serviceConfig(infra.isolated("test_"));
    }

    @Override
    public void stop() {
        // shared across test classes and modules on purpose
    }
}
