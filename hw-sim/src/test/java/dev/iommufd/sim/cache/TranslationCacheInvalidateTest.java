package dev.iommufd.sim.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Range invalidation drops exactly the entries of the domain overlapping the range (any PASID, block
 * entries included), whether the cache scans or looks keys up (short ranges over a full cache):
 * checked against the overlap rule on random fills, evictions and invalidations.
 */
class TranslationCacheInvalidateTest {
    static final long[] SIZES = {DomainTable.SZ_4K, DomainTable.SZ_2M, DomainTable.SZ_1G};
    static final List<String> DOMAINS = List.of("c/1", "c/2", "c/3");
    static final Integer[] PASIDS = {null, 1, 7};

    static String id(CachedTranslation e) {
        return e.domain() + " " + e.pasid() + " " + e.leaf().iova() + "+" + e.leaf().size();
    }

    @Test
    void invalidationMatchesTheOverlapRuleOnRandomTraffic() {
        Random r = new Random(42);
        for (int capacity : new int[] {16, 256, 1024}) {
            TranslationCache c = new TranslationCache(capacity);
            for (int step = 0; step < 8_000; step++) {
                if (r.nextInt(6) > 0) {
                    long size = SIZES[r.nextInt(8) == 0 ? 1 + r.nextInt(2) : 0];
                    long base = (0x40000000L + r.nextInt(2048) * DomainTable.SZ_4K) & -size;
                    c.fill(DOMAINS.get(r.nextInt(3)), PASIDS[r.nextInt(3)], new Leaf(base, size, base, true, true, step), 0);
                    continue;
                }
                String domain = r.nextInt(10) == 0 ? null : DOMAINS.get(r.nextInt(3));
                long iova = 0x40000000L - 4 * DomainTable.SZ_4K + r.nextInt(2100) * DomainTable.SZ_4K + (r.nextBoolean() ? 0 : r.nextInt(4096));
                long length = switch (r.nextInt(20)) {
                    case 0 -> 0;                                           // all of the domain
                    case 1, 2 -> (1 + r.nextInt(300)) * DomainTable.SZ_4K;    // longer than a lookup
                    case 3 -> TranslationCache.LOOKUP_MAX;
                    default -> 1 + r.nextInt((int) TranslationCache.LOOKUP_MAX);
                };
                List<CachedTranslation> before = c.entries();
                Set<String> expected = before.stream()
                        .filter(e -> !((domain == null || domain.equals(e.domain())) && e.overlaps(iova, length)))
                        .map(TranslationCacheInvalidateTest::id).collect(Collectors.toSet());
                int n = c.invalidate(domain, iova, length);
                assertEquals(expected, new HashSet<>(c.entries().stream().map(TranslationCacheInvalidateTest::id).toList()),
                        "invalidate(" + domain + ", " + iova + ", " + length + ")");
                assertEquals(before.size() - expected.size(), n);
            }
            assertTrue(capacity > 256 || c.evictions() > 0, "evictions exercised at capacity " + capacity + ", size " + c.size());
            assertTrue(capacity < TranslationCache.SCAN_BELOW || c.lookupInvalidations > 100, "lookups exercised: " + c.lookupInvalidations);
        }
    }

    @Test
    void aRangeRunningPastTheTopOfTheAddressSpaceIsScannedNotLookedUp() {
        TranslationCache c = new TranslationCache(1024);
        for (int i = 0; i < 100; i++) {
            c.fill("c/1", null, new Leaf(i * DomainTable.SZ_4K, DomainTable.SZ_4K, 0, true, true, i), 0);
        }
        c.fill("c/1", null, new Leaf(-DomainTable.SZ_4K, DomainTable.SZ_4K, 0, true, true, 100), 0);
        long overlapping = c.entries().stream().filter(e -> e.overlaps(-DomainTable.SZ_4K, 2 * DomainTable.SZ_4K)).count();
        assertEquals(overlapping, c.invalidate("c/1", -DomainTable.SZ_4K, 2 * DomainTable.SZ_4K)); // as the overlap rule says (and it ends)
        assertEquals(0, c.lookupInvalidations);
    }
}
