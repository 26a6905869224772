package dev.iommufd.sim.topology;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * Where hw-sim's topology comes from. Shares the {@code iommufd.hw} prefix with
 * {@link dev.iommufd.sim.config.CostConfig} ({@code iommufd.hw.cost.*}).
 */
@ConfigMapping(prefix = "iommufd.hw")
public interface TopologyConfig {
    /**
     * {@code iommufd.hw.topology-file} (env {@code IOMMUFD_HW_TOPOLOGY_FILE}): a YAML topology, see
     * {@code topology/example.yaml} in this module's resources and {@link TopologyFile}. Absent or
     * empty: API.md's default platform ({@link dev.iommufd.contract.topology.Topology#defaults()}).
     */
    Optional<String> topologyFile();
}
