package dev.iommufd.contract.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SequenceClockTest {
    @Test
    void strictlyIncreasingEvenWhenTheClockStandsStill() {
        AtomicLong now = new AtomicLong(1_000);
        SequenceClock c = new SequenceClock(now::get);
        assertEquals(1_000, c.next());
        assertEquals(1_001, c.next());
        assertEquals(1_002, c.next());
        now.set(5_000);
        assertEquals(5_000, c.next());
        now.set(10); // clock stepped back: still increasing
        assertEquals(5_001, c.next());
    }

    @Test
    void aRestartedProducerStartsAboveWhatItSentBefore() {
        AtomicLong now = new AtomicLong(2_000);
        SequenceClock before = new SequenceClock(now::get);
        long last = 0;
        for (int i = 0; i < 100; i++) {
            last = before.next();
        }
        now.set(2_000 + 1_000_000); // restart one second later
        assertTrue(new SequenceClock(now::get).next() > last);
    }
}
