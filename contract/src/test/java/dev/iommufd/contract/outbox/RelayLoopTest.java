package dev.iommufd.contract.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The relay thread: kicks coalesce, full batches repeat, a failure is reported and the next pass runs. */
class RelayLoopTest {

    @Test
    void aPassRepeatsWhileBatchesAreFullThenRunsAfterPass() throws Exception {
        ArrayDeque<Integer> sizes = new ArrayDeque<>(List.of(4, 4, 1));
        List<String> calls = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        try (RelayLoop loop = new RelayLoop("t", 4, () -> {
            int n = sizes.isEmpty() ? 0 : sizes.poll();
            calls.add("drain " + n);
            return n;
        }, e -> calls.add("error"), () -> {
            calls.add("after");
            done.countDown();
        })) {
            loop.kick();
            assertTrue(done.await(5, TimeUnit.SECONDS));
        }
        assertEquals(List.of("drain 4", "drain 4", "drain 1", "after"), calls);
    }

    @Test
    void kicksWhileAPassIsPendingMakeOnePass() throws Exception {
        CountDownLatch blocker = new CountDownLatch(1);
        AtomicInteger passes = new AtomicInteger();
        CountDownLatch second = new CountDownLatch(2);
        try (RelayLoop loop = new RelayLoop("t", 10, () -> {
            blocker.await();
            passes.incrementAndGet();
            second.countDown();
            return 0;
        }, e -> { }, () -> { })) {
            loop.kick();          // pass 1 starts and blocks
            Thread.sleep(50);
            for (int i = 0; i < 100; i++) {
                loop.kick();      // all of these: one pending pass
            }
            blocker.countDown();
            assertTrue(second.await(5, TimeUnit.SECONDS));
            Thread.sleep(100);
        }
        assertEquals(2, passes.get());
    }

    @Test
    void aFailedDrainIsReportedAndAfterPassStillRuns() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        CountDownLatch after = new CountDownLatch(2);
        AtomicInteger n = new AtomicInteger();
        try (RelayLoop loop = new RelayLoop("t", 1, () -> {
            if (n.incrementAndGet() == 1) {
                throw new IllegalStateException("broker down");
            }
            return 0;
        }, e -> calls.add(e.getMessage()), after::countDown)) {
            loop.start(Duration.ofMillis(20)); // the periodic pass retries
            assertTrue(after.await(5, TimeUnit.SECONDS));
        }
        assertEquals("broker down", calls.get(0));
        assertTrue(n.get() >= 2);
    }
}
