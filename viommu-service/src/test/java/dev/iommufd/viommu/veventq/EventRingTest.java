package dev.iommufd.viommu.veventq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.viommu.veventq.EventRing.Entry;
import dev.iommufd.viommu.veventq.EventRing.VEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventRingTest {
    static VEvent ev(long addr) {
        return new VEvent(1, "F_TRANSLATION", 0x10, addr, List.of(0x10L, 0L, 0L, 0L));
    }

    static List<String> show(List<Entry> es) {
        return es.stream().map(e -> e.lostEvents() ? "L" + e.sequence() : e.sequence() + "@" + e.event().addr()).toList();
    }

    @Test
    void overflowLeavesOneMarkerAtTheTailWithTheLastLostSequence() {
        EventRing r = new EventRing(2);
        AtomicInteger told = new AtomicInteger();
        r.listen(told::incrementAndGet);
        for (int i = 0; i < 5; i++) {
            r.report(ev(i));
        }
        assertEquals(5, told.get());
        assertEquals(3, r.size());
        assertEquals(List.of("0@0", "1@1", "L4"), show(r.take(10)));
        assertEquals(List.of(), r.take(10));
    }

    @Test
    void consumeOnReadFreesRoomAndTheNextEventReplacesATailMarker() {
        EventRing r = new EventRing(2);
        r.report(ev(0));
        r.report(ev(1));
        r.report(ev(2));                       // lost: marker 2
        assertEquals(List.of("0@0"), show(r.take(1)));
        r.report(ev(3));                       // fits: replaces the marker at the tail, gap 2 shows the loss
        assertEquals(List.of("1@1", "3@3"), show(r.take(10)));
    }

    @Test
    void aMarkerNotAtTheTailMovesThere() {
        EventRing r = new EventRing(1);
        r.report(ev(0));
        r.report(ev(1));                       // L1
        assertEquals(List.of("0@0"), show(r.take(1)));
        // marker L1 stays until the next report, which fits and replaces it
        r.report(ev(2));
        r.report(ev(3));                       // lost → L3
        assertEquals(List.of("2@2", "L3"), show(r.take(10)));
    }

    @Test
    void sequencesAreMonotonicUnderLoad() {
        EventRing r = new EventRing(8);
        long last = -1;
        for (int round = 0; round < 100; round++) {
            for (int i = 0; i < round % 13; i++) {
                r.report(ev(i));
            }
            for (Entry e : r.take(5)) {
                assertTrue(e.sequence() > last);
                last = e.sequence();
            }
        }
    }
}
