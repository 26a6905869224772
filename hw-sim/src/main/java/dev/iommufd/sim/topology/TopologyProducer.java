package dev.iommufd.sim.topology;

import dev.iommufd.contract.topology.Topology;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

public class TopologyProducer {
    @Produces
    @Singleton
    Topology topology() {
        // A YAML topology file (config) comes with the hardware model; the default is API.md's.
        return Topology.defaults();
    }
}
