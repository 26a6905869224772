package dev.iommufd.sim.cache;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A configuration cache of one IOMMU: what the hardware decoded from its configuration structures
 * for a requester (VT-d context + PASID entry; SMMUv3 STE + CD), keyed by RID and PASID (null:
 * requests without PASID). LRU, bounded (64 entries, gem5's SMMUv3 config cache). A hit uses the
 * cached value even if the structure in memory changed since: software must invalidate (VT-d
 * context/PASID-cache invalidation, SMMUv3 CFGI_*), as on hardware.
 *
 * @param <V> the decoded configuration
 */
public final class ConfigCache<V> {
    public static final int DEFAULT_CAPACITY = 64;

    record Key(String rid, Integer pasid) {}

    private final int capacity;
    private final LinkedHashMap<Key, V> entries;
    private long hits;
    private long misses;

    public ConfigCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, V> eldest) {
                return size() > ConfigCache.this.capacity;
            }
        };
    }

    /** The cached configuration of (rid, pasid), or null (counted as a miss). */
    public V lookup(String rid, Integer pasid) {
        V v = entries.get(new Key(rid, pasid));
        if (v == null) {
            misses++;
        } else {
            hits++;
        }
        return v;
    }

    public void fill(String rid, Integer pasid, V value) {
        entries.put(new Key(rid, pasid), Objects.requireNonNull(value));
    }

    /** Drops the entry of (rid, pasid); returns whether there was one. */
    public boolean invalidate(String rid, Integer pasid) {
        return entries.remove(new Key(rid, pasid)) != null;
    }

    /** Drops every entry of {@code rid} (any PASID); returns how many. */
    public int invalidateRid(String rid) {
        int n = 0;
        for (Iterator<Key> it = entries.keySet().iterator(); it.hasNext(); ) {
            if (it.next().rid().equals(rid)) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    public void clear() {
        entries.clear();
    }

    public int size() {
        return entries.size();
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }
}
