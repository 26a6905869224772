package dev.iommufd.sim.cache;

import dev.iommufd.sim.pagetable.Leaf;

/**
 * An IOTLB or ATC entry: a copy of a leaf as it was when cached, tagged with its domain and PASID;
 * {@code unmaps} is the domain's unmap count then (while it is unchanged the entry cannot be stale).
 */
public record CachedTranslation(String domain, Integer pasid, Leaf leaf, long unmaps) {
}
