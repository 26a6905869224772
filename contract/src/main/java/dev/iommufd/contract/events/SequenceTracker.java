package dev.iommufd.contract.events;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Consumer-side idempotency: remembers the highest sequence applied per (source, key) and says
 * whether an event is new. A duplicate or replayed event (sequence not above the last) is skipped.
 */
public final class SequenceTracker {
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();

    /** True exactly once per (source, key, sequence) when events of a key arrive in order. */
    public boolean firstTime(EventEnvelope e) {
        String k = e.source() + '\u0000' + e.key();
        boolean[] fresh = {false};
        last.compute(k, (ignored, prev) -> {
            if (prev == null || e.sequence() > prev) {
                fresh[0] = true;
                return e.sequence();
            }
            return prev;
        });
        return fresh[0];
    }

    public long lastApplied(String source, String key) {
        return last.getOrDefault(source + '\u0000' + key, 0L);
    }
}
