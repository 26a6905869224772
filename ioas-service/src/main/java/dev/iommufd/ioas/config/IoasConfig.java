package dev.iommufd.ioas.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "iommufd.ioas")
public interface IoasConfig {
    /** How long a context token is valid. A VMM re-opens (new context) after that. */
    @WithDefault("P7D")
    Duration tokenLifetime();

    /** How long a caller waits for hw-sim to complete a sync (CMD_SYNC / wait descriptor). */
    @WithDefault("PT5S")
    Duration syncTimeout();

    /** Where the platform topology comes from: {@code hw-sim} (ask it) or {@code default} (API.md's). */
    @WithDefault("hw-sim")
    String topology();

    /** The LAZY unmap flush queue. */
    LazyFlush lazyFlush();

    interface LazyFlush {
        /** Deferred invalidations that make a flush at once. */
        @WithDefault("250")
        int batchSize();

        /** The longest a deferred invalidation waits. */
        @WithDefault("PT0.010S")
        Duration maxDelay();
    }
}
