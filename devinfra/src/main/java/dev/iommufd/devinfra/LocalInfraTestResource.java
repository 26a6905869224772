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
        return infra.serviceConfig();
    }

    @Override
    public void stop() {
        // shared across test classes and modules on purpose
    }
}
