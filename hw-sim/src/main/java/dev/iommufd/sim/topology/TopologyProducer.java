package dev.iommufd.sim.topology;

import dev.iommufd.contract.topology.Topology;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The simulated platform: API.md's default, or the YAML file named by {@code iommufd.hw.topology-file}
 * (env {@code IOMMUFD_HW_TOPOLOGY_FILE}). Built at startup, so a bad file stops hw-sim with the
 * loader's one-line reason.
 */
public class TopologyProducer {
    private static final Logger LOG = Logger.getLogger(TopologyProducer.class);

    @Produces
    @Singleton
    @Startup
    Topology topology(TopologyConfig config) {
        Topology t = config.topologyFile()
                .filter(f -> !f.isBlank())
                .map(f -> TopologyFile.load(Path.of(f)))
                .orElseGet(Topology::defaults);
        LOG.infof("topology: %s, %d IOMMUs (%s), %d devices",
                config.topologyFile().filter(f -> !f.isBlank()).map(f -> "file " + f).orElse("API.md default"),
                t.iommus().size(), String.join(", ", t.iommus().stream().map(i -> i.id()).toList()), t.devices().size());
        return t;
    }
}
