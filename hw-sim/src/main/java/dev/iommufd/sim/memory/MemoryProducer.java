package dev.iommufd.sim.memory;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

public class MemoryProducer {
    @Produces
    @Singleton
    HostMemory hostMemory() {
        return new HostMemory();
    }
}
