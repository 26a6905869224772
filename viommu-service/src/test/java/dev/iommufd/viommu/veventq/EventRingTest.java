package dev.iommufd.viommu.veventq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.viommu.veventq.EventRing.Entry;
import dev.iommufd.viommu.veventq.EventRing.VEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventRingTest {
    static VEvent ev(long addr) {
        return new VEvent(1, "F_TRANSLATION", 0x10, addr, List.of(0x10L, 0L, 0L, 0L));
    }

    static List<String> show(List<Entry> es) {
        return es.stream().map(e -> e.lostEvents() ? "L" + e.sequence() : e.sequence() + "@" + e.event().addr()).toList();
    }

    /** Applies EventRing's decisions to a list, as VeventqStore applies them to the rows. */
    static final class Applied {
        EventRing ring;
        final ArrayDeque<Entry> entries = new ArrayDeque<>();

        Applied(EventRing ring) {
            this.ring = ring;
        }

        void report(VEvent e) {
            EventRing.Report r = ring.report();
            if (r.dropTailMarker()) {
                assertTrue(entries.pollLast().lostEvents(), "the marker is at the tail");
            }
            entries.addLast(r.lost() ? Entry.marker(r.sequence()) : new Entry(r.sequence(), e));
            ring = r.after();
        }

        List<Entry> take(int max) {
            List<Entry> out = new ArrayList<>();
            while (!entries.isEmpty() && out.size() < max) {
                out.add(entries.pollFirst());
            }
            ring = ring.consumed(out);
            return out;
        }
    }

    /** The kernel's list code, transcribed literally (iommufd_viommu_report_event, iommufd_veventq_deliver_fetch): the oracle. */
    static final class Kernel {
        final int depth;
        final ArrayDeque<Entry> deliver = new ArrayDeque<>();
        int numEvents;
        int sequence;

        Kernel(int depth) {
            this.depth = depth;
        }

        void report(VEvent e) {
            boolean header = numEvents == depth;
            if (!header) {
                numEvents++;
            }
            // iommufd_vevent_handler: drop the header if it is last, add the new node at the tail
            if (!deliver.isEmpty() && deliver.peekLast().lostEvents()) {
                deliver.pollLast();
            }
            deliver.removeIf(Entry::lostEvents);   // list_add_tail of the one header node moves it
            deliver.addLast(header ? Entry.marker(sequence) : new Entry(sequence, e));
            sequence = (sequence + 1) & Integer.MAX_VALUE;
        }

        List<Entry> take(int max) {
            List<Entry> out = new ArrayList<>();
            for (Iterator<Entry> it = deliver.iterator(); it.hasNext() && out.size() < max; ) {
                Entry x = it.next();
                it.remove();
                if (!x.lostEvents()) {
                    numEvents--;
                }
                out.add(x);
            }
            return out;
        }
    }

    @Test
    void overflowLeavesOneMarkerAtTheTailWithTheLastLostSequence() {
        Applied r = new Applied(EventRing.empty(2));
        for (int i = 0; i < 5; i++) {
            r.report(ev(i));
        }
        assertEquals(new EventRing(2, 2, 5, true), r.ring);
        assertEquals(List.of("0@0", "1@1", "L4"), show(r.take(10)));
        assertEquals(new EventRing(2, 0, 5, false), r.ring);
        assertEquals(List.of(), r.take(10));
    }

    @Test
    void consumeOnReadFreesRoomAndTheNextEventReplacesATailMarker() {
        Applied r = new Applied(EventRing.empty(2));
        r.report(ev(0));
        r.report(ev(1));
        r.report(ev(2));                       // lost: marker 2
        assertEquals(List.of("0@0"), show(r.take(1)));
        assertEquals(new EventRing(2, 1, 3, true), r.ring);
        r.report(ev(3));                       // fits: replaces the marker at the tail, gap 2 shows the loss
        assertEquals(List.of("1@1", "3@3"), show(r.take(10)));
    }

    @Test
    void aMarkerStaysUntilTheNextReportWhichFitsAndReplacesIt() {
        Applied r = new Applied(EventRing.empty(1));
        r.report(ev(0));
        r.report(ev(1));                       // L1
        assertEquals(List.of("0@0"), show(r.take(1)));
        r.report(ev(2));
        r.report(ev(3));                       // lost → L3
        assertEquals(List.of("2@2", "L3"), show(r.take(10)));
    }

    @Test
    void aReadThatTakesOnlyTheMarkerLeavesTheEvents() {
        Applied r = new Applied(EventRing.empty(1));
        r.report(ev(0));
        r.report(ev(1));
        assertEquals(List.of("0@0"), show(r.take(1)));
        assertEquals(List.of("L1"), show(r.take(1)));
        assertEquals(EventRing.empty(1).report().after().report().after().consumed(List.of(new Entry(0, ev(0)), Entry.marker(1))), r.ring);
        assertEquals(new EventRing(1, 0, 2, false), r.ring);
    }

    @Test
    void sequencesWrapAtIntMax() {
        EventRing r = new EventRing(4, 0, Integer.MAX_VALUE - 1, false);
        EventRing.Report a = r.report();
        EventRing.Report b = a.after().report();
        EventRing.Report c = b.after().report();
        assertEquals(List.of(Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0), List.of(a.sequence(), b.sequence(), c.sequence()));
        assertEquals(1, c.after().nextSequence());
    }

    @Test
    void impossibleStatesAndReadsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EventRing(0, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new EventRing(2, 3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new EventRing(2, -1, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new EventRing(2, 0, -1, false));
        assertThrows(IllegalArgumentException.class, () -> EventRing.empty(2).consumed(List.of(new Entry(0, ev(0)))));
        assertThrows(IllegalArgumentException.class, () -> new EventRing(2, 1, 1, false).consumed(List.of(Entry.marker(0))));
    }

    /** Every depth 1..6, many random interleavings of reports and reads: the decisions equal the kernel's list code. */
    @Test
    void matchesTheKernelOnRandomInterleavings() {
        Random rnd = new Random(42);
        for (int depth = 1; depth <= 6; depth++) {
            for (int run = 0; run < 300; run++) {
                Applied mine = new Applied(EventRing.empty(depth));
                Kernel k = new Kernel(depth);
                for (int step = 0; step < 60; step++) {
                    if (rnd.nextInt(3) < 2) {
                        VEvent e = ev(step);
                        mine.report(e);
                        k.report(e);
                    } else {
                        int max = 1 + rnd.nextInt(depth + 2);
                        assertEquals(k.take(max), mine.take(max));
                    }
                    assertEquals(List.copyOf(k.deliver), List.copyOf(mine.entries));
                    assertEquals(k.numEvents, mine.ring.events());
                    assertEquals(k.sequence, mine.ring.nextSequence());
                }
            }
        }
    }
}
