package dev.iommufd.contract.events;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Producer-side per-key sequence numbers that keep increasing across restarts without storage:
 * {@code next = max(previous + 1, now in microseconds)}. A restarted producer starts above
 * everything it sent before as long as the wall clock moved forward and it sent fewer than a
 * million events per second on average. Producers with an outbox use the outbox row id instead.
 */
public final class SequenceClock {
    private final AtomicLong last = new AtomicLong();
    private final LongSupplier micros;

    public SequenceClock() {
        this(() -> System.currentTimeMillis() * 1000L);
    }

    SequenceClock(LongSupplier micros) {
        this.micros = micros;
    }

    public long next() {
        long now = micros.getAsLong();
        return last.updateAndGet(prev -> Math.max(prev + 1, now));
    }
}
