package dev.iommufd.sim.platform;

import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

public class PlatformProducer {
    @Produces
    @Singleton
    Platform platform(Topology topology, HostMemory memory) {
        return new Platform(topology, memory);
    }
}
