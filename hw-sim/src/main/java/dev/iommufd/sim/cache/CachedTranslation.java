package dev.iommufd.sim.cache;

import dev.iommufd.sim.pagetable.Leaf;

/**
 * An IOTLB or ATC entry: a copy of a leaf as it was when cached, tagged with its domain and PASID;
 * {@code unmaps} is the (parent) domain's unmap count then (while it is unchanged the entry cannot
 * be stale). {@code asid} is the SMMUv3 stage-1 ASID of a nested entry (part of QEMU's IOTLB key,
 * matched by TLBI_NH_ASID/VA), -1 for anything else. {@code ipa} is the guest-physical address the
 * entry's first byte maps to in a nested domain (where a write sets the parent's dirty bit), -1
 * for a paging domain.
 */
public record CachedTranslation(String domain, Integer pasid, Leaf leaf, long unmaps, int asid, long ipa) {
    public CachedTranslation(String domain, Integer pasid, Leaf leaf, long unmaps) {
        this(domain, pasid, leaf, unmaps, -1, -1);
    }

    /** Whether the entry overlaps [iova, iova+length) (length 0: any address). */
    public boolean overlaps(long iova, long length) {
        long base = leaf.iova();
        return length == 0
                || (Long.compareUnsigned(base, iova + length - 1) <= 0 && Long.compareUnsigned(iova, base + leaf.size() - 1) <= 0);
    }
}
