package dev.iommufd.sim.platform;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Publishes the hardware statistics of {@code GET /v1/hw/stats} as Micrometer meters, one series per
 * IOMMU (tag {@code iommu}), so Prometheus can rate them: {@code iommufd_hw_iotlb_hits_total},
 * {@code iommufd_hw_invalidations_total{type=...}}, {@code iommufd_hw_stale_translations_total}, ...
 * The Grafana dashboard in k8s/base/monitoring reads these names. Values are read under the
 * platform lock, as the stats endpoint does.
 */
@Singleton
public class HwMetrics {
    /** The invalidation types {@link Platform} counts (see its {@code Counters.invalidation} calls). */
    static final List<String> INVALIDATION_TYPES = List.of("IOTLB_DOMAIN", "IOTLB_PAGE", "DEVICE_TLB",
            "TLBI_NH_ALL", "TLBI_NH_ASID", "TLBI_NH_VA", "TLBI_NH_VAA", "TLBI_NSNH_ALL", "ATC_INV", "CFGI_STE", "CFGI_CD", "CFGI_CD_ALL");

    void register(@Observes StartupEvent ev, MeterRegistry registry, Platform platform) {
        bind(registry, platform);
    }

    static void bind(MeterRegistry registry, Platform platform) {
        platform.counters().forEach((iommu, c) -> {
            Tags tags = Tags.of("iommu", iommu);
            counter(registry, platform, "iommufd.hw.iotlb.hits", "DMA translations served by the IOTLB", tags, c, x -> x.iotlbHits);
            counter(registry, platform, "iommufd.hw.iotlb.misses", "DMA translations the IOTLB did not hold", tags, c, x -> x.iotlbMisses);
            counter(registry, platform, "iommufd.hw.atc.hits", "DMA translations served by a device ATC", tags, c, x -> x.atcHits);
            counter(registry, platform, "iommufd.hw.walks", "Page-table walks", tags, c, x -> x.walks);
            counter(registry, platform, "iommufd.hw.config.hits", "Configuration-cache hits (PASID entry, STE+CD)", tags, c,
                    x -> x.configHits);
            counter(registry, platform, "iommufd.hw.config.misses", "Configuration-cache misses", tags, c, x -> x.configMisses);
            counter(registry, platform, "iommufd.hw.page.requests", "PRI page requests sent", tags, c, x -> x.pageRequests);
            counter(registry, platform, "iommufd.hw.page.responses.unknown", "Page responses for groups not outstanding (ignored)",
                    tags, c, x -> x.unknownResponses);
            counter(registry, platform, "iommufd.hw.faults", "DMA faults", tags, c, x -> x.faults);
            counter(registry, platform, "iommufd.hw.stale.translations",
                    "DMA served from a cached translation whose mapping was already unmapped (0 in STRICT mode)", tags, c,
                    x -> x.staleTranslations);
            for (String type : INVALIDATION_TYPES) {
                counter(registry, platform, "iommufd.hw.invalidations", "Cache invalidations applied", tags.and("type", type), c,
                        x -> x.invalidations.getOrDefault(type, 0L));
            }
            Gauge.builder("iommufd.hw.iotlb.entries", platform, p -> {
                        synchronized (p) {
                            return p.iotlb(iommu).entries().size();
                        }
                    })
                    .description("Entries currently cached in the IOTLB")
                    .tags(tags)
                    .register(registry);
        });
    }

    private static void counter(MeterRegistry registry, Platform platform, String name, String description, Tags tags,
                                Counters counters, ToLongFunction<Counters> value) {
        FunctionCounter.builder(name, counters, c -> {
                    synchronized (platform) {
                        return value.applyAsLong(c);
                    }
                })
                .description(description)
                .tags(tags)
                .register(registry);
    }
}
