package dev.iommufd.fault.store;

import dev.iommufd.fault.core.AutoInvalid;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code iommufd.fault.groups.pending} (groups awaiting a response in every queue, refreshed from
 * the database, so every replica reports the same figure), {@code iommufd.fault.response.latency}
 * (group delivered → userspace response accepted, histogram) and {@code iommufd.fault.auto.invalid}
 * (groups answered INVALID by fault-service, by reason).
 */
@ApplicationScoped
public class FaultMetrics {
    @Inject
    MeterRegistry registry;

    private final AtomicLong pending = new AtomicLong();
    private Timer latency;
    private final Map<AutoInvalid, Counter> autoInvalid = new EnumMap<>(AutoInvalid.class);

    @PostConstruct
    void register() {
        Gauge.builder("iommufd.fault.groups.pending", pending, AtomicLong::get)
                .description("Page-request groups delivered and not answered yet").register(registry);
        latency = Timer.builder("iommufd.fault.response.latency")
                .description("From a group's delivery (its last request) to the response userspace wrote")
                .publishPercentileHistogram().register(registry);
        for (AutoInvalid r : AutoInvalid.values()) {
            autoInvalid.put(r, Counter.builder("iommufd.fault.auto.invalid").tag("reason", r.tag())
                    .description("Groups fault-service answered INVALID itself").register(registry));
        }
    }

    public void pending(long n) {
        pending.set(n);
    }

    public void autoInvalid(AutoInvalid why, int n) {
        if (n > 0) {
            autoInvalid.get(why).increment(n);
        }
    }

    public void answered(OffsetDateTime deliveredAt) {
        if (deliveredAt != null) {
            latency.record(Duration.between(deliveredAt, OffsetDateTime.now()));
        }
    }
}
