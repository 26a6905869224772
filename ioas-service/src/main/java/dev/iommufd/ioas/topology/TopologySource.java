package dev.iommufd.ioas.topology;

import dev.iommufd.contract.topology.Topology;
import io.smallrye.mutiny.Uni;

/** The platform as hw-sim describes it (which IOMMU a RID sits behind, and what each can do). */
public interface TopologySource {
    Uni<Topology> topology();
}
