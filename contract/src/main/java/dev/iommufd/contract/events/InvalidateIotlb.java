package dev.iommufd.contract.events;

/**
 * IOTLB invalidation on {@code iommu} for {@code domain}: domain-selective when {@code length} is 0,
 * else page-selective over [iova, iova+length) (any overlapping entry, block entries included).
 */
public record InvalidateIotlb(String iommu, String domain, long iova, long length) implements EventPayload {
}
