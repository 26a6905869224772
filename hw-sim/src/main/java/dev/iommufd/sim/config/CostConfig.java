package dev.iommufd.sim.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/** The command cost model ({@link dev.iommufd.sim.queue.CostModel}). */
@ConfigMapping(prefix = "iommufd.hw.cost")
public interface CostConfig {
    /** {@code off} (as fast as possible) or {@code vtd} (IOTLB invalidation 1 µs, device-TLB 2 µs). */
    @WithDefault("off")
    String model();

    /** Per event kind overrides in nanoseconds, e.g. {@code iommufd.hw.cost.nanos."INV_IOTLB"=1500}. */
    Map<String, Long> nanos();
}
