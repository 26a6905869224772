package dev.iommufd.sim.platform;

import java.util.TreeMap;

/** Statistics of one IOMMU (and, summed, of the platform) as GET /v1/hw/stats shows them. */
public final class Counters {
    public long iotlbHits;
    public long iotlbMisses;
    public long atcHits;
    public long walks;
    /** Configuration-cache lookups of nested translations (VT-d PASID entry, SMMUv3 STE+CD). */
    public long configHits;
    public long configMisses;
    public TreeMap<String, Long> invalidations = new TreeMap<>();
    public long pageRequests;
    /** Page responses for a group the device did not have outstanding (PCIe UPRGI): ignored. */
    public long unknownResponses;
    public long faults;
    /** DMA served from a cached translation whose mapping was already gone: must stay 0 in STRICT mode. */
    public long staleTranslations;

    void invalidation(String type) {
        invalidations.merge(type, 1L, Long::sum);
    }

    void addTo(Counters total) {
        total.iotlbHits += iotlbHits;
        total.iotlbMisses += iotlbMisses;
        total.atcHits += atcHits;
        total.walks += walks;
        total.configHits += configHits;
        total.configMisses += configMisses;
        invalidations.forEach((k, v) -> total.invalidations.merge(k, v, Long::sum));
        total.pageRequests += pageRequests;
        total.unknownResponses += unknownResponses;
        total.faults += faults;
        total.staleTranslations += staleTranslations;
    }
}
