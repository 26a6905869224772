package dev.iommufd.sim.cache;

import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A translation cache (IOTLB of an IOMMU, or the ATC of an ATS device): LRU, bounded, keyed like
 * QEMU's IOTLB by {domain, pasid, page base, page size}. Invalidation by domain, by PASID or by
 * range; a range removes every overlapping entry, block entries included.
 */
public final class TranslationCache {
    record Key(String domain, Integer pasid, long base, long size) {}

    private final int capacity;
    private final LinkedHashMap<Key, CachedTranslation> entries;
    private long hits;
    private long misses;
    private long evictions;

    public TranslationCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, CachedTranslation> eldest) {
                boolean evict = size() > TranslationCache.this.capacity;
                if (evict) {
                    evictions++;
                }
                return evict;
            }
        };
    }

    public CachedTranslation lookup(String domain, Integer pasid, long addr) {
        for (long size : new long[] {DomainTable.SZ_4K, DomainTable.SZ_2M, DomainTable.SZ_1G}) {
            CachedTranslation t = entries.get(new Key(domain, pasid, addr & -size, size));
            if (t != null) {
                hits++;
                return t;
            }
        }
        misses++;
        return null;
    }

    public void fill(String domain, Integer pasid, Leaf leaf, long unmaps) {
        fill(domain, pasid, leaf, unmaps, -1, -1);
    }

    /** A nested (combined) entry: tagged with its SMMUv3 ASID (-1 for none) and the IPA of its first byte. */
    public void fill(String domain, Integer pasid, Leaf leaf, long unmaps, int asid, long ipa) {
        entries.put(new Key(domain, pasid, leaf.iova(), leaf.size()), new CachedTranslation(domain, pasid, leaf, unmaps, asid, ipa));
    }

    /** Drops every entry {@code match} accepts (scoped invalidations: VMID, ASID, PASID); returns how many. */
    public int invalidateIf(java.util.function.Predicate<CachedTranslation> match) {
        int n = 0;
        for (Iterator<CachedTranslation> it = entries.values().iterator(); it.hasNext(); ) {
            if (match.test(it.next())) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    /** Drops entries of {@code domain} (any domain if null) overlapping [iova, iova+length); all of them if length is 0. */
    public int invalidate(String domain, long iova, long length) {
        int n = 0;
        for (Iterator<Key> it = entries.keySet().iterator(); it.hasNext(); ) {
            Key k = it.next();
            if (domain != null && !Objects.equals(domain, k.domain())) {
                continue;
            }
            boolean hit = length == 0
                    || (Long.compareUnsigned(k.base(), iova + length - 1) <= 0 && Long.compareUnsigned(iova, k.base() + k.size() - 1) <= 0);
            if (hit) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    public List<CachedTranslation> entries() {
        return new ArrayList<>(entries.values());
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    public long evictions() {
        return evictions;
    }

    public int size() {
        return entries.size();
    }
}
