package dev.iommufd.contract.topology;

import java.util.List;
import java.util.Set;

/**
 * One IOMMU instance of the topology.
 *
 * @param addressWidth   input address bits of its paging domains (aperture [0, 2^width − 1])
 * @param capabilities   NESTING, DIRTY_TRACKING, PASID, PAGE_REQUESTS, ENFORCE_COHERENCY, RANGE_INVALIDATION
 * @param pasidBits      PASID / SSID width, 0 without PASID support
 * @param iotlbSize      IOTLB entries
 * @param reservedRegions per-device reserved regions this IOMMU imposes
 */
public record IommuSpec(String id, IommuType type, int addressWidth, Set<String> capabilities, int pasidBits,
                        int iotlbSize, List<ReservedRegion> reservedRegions) {
    public boolean has(String capability) {
        return capabilities.contains(capability);
    }
}
