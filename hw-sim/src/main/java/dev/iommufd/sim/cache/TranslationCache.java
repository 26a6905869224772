package dev.iommufd.sim.cache;

import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;
import java.util.ArrayList;
import java.util.HashMap;
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

    /** A domain and PASID that entries are tagged with. */
    private record Tag(String domain, Integer pasid) {}

    private static final long[] SIZES = {DomainTable.SZ_4K, DomainTable.SZ_2M, DomainTable.SZ_1G};
    /** Page-selective invalidations up to this length look their keys up instead of scanning every entry. */
    static final long LOOKUP_MAX = 64 * DomainTable.SZ_4K;
    /** Below this many entries a scan is as cheap as the lookups. */
    static final int SCAN_BELOW = 64;

    private final int capacity;
    private final LinkedHashMap<Key, CachedTranslation> entries;
    /** Entries per (domain, PASID): the PASIDs whose keys a lookup must try. */
    private final Map<Tag, Integer> tags = new HashMap<>();
    /** Entries whose base is not aligned to a 4K/2M/1G size (none today): while any exists, invalidation scans. */
    private int irregular;
    /** How many invalidations took the lookup path (tests check that it is exercised). */
    long lookupInvalidations;
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
                    untag(eldest.getKey());
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
        Key k = new Key(domain, pasid, leaf.iova(), leaf.size());
        if (!entries.containsKey(k)) {
            tags.merge(new Tag(domain, pasid), 1, Integer::sum);
            if (!regular(k)) {
                irregular++;
            }
        }
        entries.put(k, new CachedTranslation(domain, pasid, leaf, unmaps, asid, ipa));
    }

    private static boolean regular(Key k) {
        return (k.size() == DomainTable.SZ_4K || k.size() == DomainTable.SZ_2M || k.size() == DomainTable.SZ_1G) && (k.base() & (k.size() - 1)) == 0;
    }

    /** Bookkeeping of an entry that left the map. */
    private void untag(Key k) {
        tags.computeIfPresent(new Tag(k.domain(), k.pasid()), (t, n) -> n == 1 ? null : n - 1);
        if (!regular(k)) {
            irregular--;
        }
    }

    /** Drops every entry {@code match} accepts (scoped invalidations: VMID, ASID, PASID); returns how many. */
    public int invalidateIf(java.util.function.Predicate<CachedTranslation> match) {
        int n = 0;
        for (Iterator<Map.Entry<Key, CachedTranslation>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, CachedTranslation> e = it.next();
            if (match.test(e.getValue())) {
                it.remove();
                untag(e.getKey());
                n++;
            }
        }
        return n;
    }

    /** Drops entries of {@code domain} (any domain if null) overlapping [iova, iova+length); all of them if length is 0. */
    public int invalidate(String domain, long iova, long length) {
        if (domain != null && length != 0 && Long.compareUnsigned(length, LOOKUP_MAX) <= 0 && Long.compareUnsigned(iova + length - 1, iova) >= 0
                && entries.size() >= SCAN_BELOW && irregular == 0) {
            return invalidateByLookup(domain, iova, length);
        }
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
                untag(k);
                n++;
            }
        }
        return n;
    }

    /**
     * The same result as the scan for a short range of one domain: every entry overlapping it has a
     * size-aligned base between the range's first and last byte rounded down to that size, so those
     * keys (per PASID the domain has entries for, per size) are all there is to try. A 512-descriptor
     * batch over a full 1024-entry IOTLB took ~7 ms scanning (TranslationBench-style measurement).
     */
    private int invalidateByLookup(String domain, long iova, long length) {
        lookupInvalidations++;
        long last = iova + length - 1;
        List<Integer> pasids = new ArrayList<>();
        tags.keySet().forEach(t -> {
            if (Objects.equals(t.domain(), domain)) {
                pasids.add(t.pasid());
            }
        });
        int n = 0;
        for (Integer pasid : pasids) {
            for (long size : SIZES) {
                long first = iova & -size;
                long count = Long.divideUnsigned((last & -size) - first, size) + 1; // the range does not wrap: ≤ 64 + 1
                for (long i = 0; i < count; i++) {
                    Key k = new Key(domain, pasid, first + i * size, size);
                    if (entries.remove(k) != null) {
                        untag(k);
                        n++;
                    }
                }
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
