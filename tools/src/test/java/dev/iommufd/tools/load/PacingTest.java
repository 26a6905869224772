package dev.iommufd.tools.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PacingTest {
    @Test
    void clientsAreStaggeredInsideOnePeriod() {
        Pacing p = new Pacing(1000, 4); // 250/s per client: one every 4 ms, clients 1 ms apart
        assertEquals(0, p.dueNanos(0, 0));
        assertEquals(1_000_000, p.dueNanos(1, 0));
        assertEquals(3_000_000, p.dueNanos(3, 0));
        assertEquals(4_000_000, p.dueNanos(0, 1));
        assertEquals(4_000_000_000L, p.dueNanos(0, 1000));
        assertEquals(4_002_000_000L, p.dueNanos(2, 1000));
        assertTrue(!p.closedLoop());
    }

    @Test
    void rateZeroIsClosedLoop() {
        Pacing p = new Pacing(0, 3);
        assertTrue(p.closedLoop());
        assertEquals(0, p.dueNanos(2, 1_000_000));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Pacing(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Pacing(10, 0));
    }
}
