package dev.iommufd.sim.cache;

import dev.iommufd.sim.pagetable.Leaf;

/** An IOTLB or ATC entry: a copy of a leaf as it was when cached, tagged with its domain and PASID. */
public record CachedTranslation(String domain, Integer pasid, Leaf leaf) {
}
