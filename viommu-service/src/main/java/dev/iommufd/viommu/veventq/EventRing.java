package dev.iommufd.viommu.veventq;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One vEVENTQ's queue, as the kernel's {@code iommufd_viommu_report_event} /
 * {@code iommufd_vevent_handler}: at most {@code depth} events; every report takes the next
 * sequence number (wrapping at INT_MAX like the kernel's), a report into a full queue is lost and
 * (re)places the single LOST_EVENTS marker at the tail with that sequence; the next event that
 * fits replaces a marker still at the tail. Either way the gap in sequences shows the loss.
 * Reading consumes. Thread-safe; listeners (SSE streams) are told after each report.
 */
public final class EventRing {
    /** A virtual event: the vdevice's virtId and the hardware's record. */
    public record VEvent(long virtId, String type, int code, long addr, List<Long> evt) {}

    /** A queue entry: an event, or the marker ({@code event} null). */
    public record Entry(long sequence, VEvent event) {
        public boolean lostEvents() {
            return event == null;
        }
    }

    private final int depth;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private int events;
    private long nextSequence;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public EventRing(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth " + depth);
        }
        this.depth = depth;
    }

    public void report(VEvent e) {
        synchronized (this) {
            long seq = nextSequence;
            nextSequence = (nextSequence + 1) & Integer.MAX_VALUE;
            if (!entries.isEmpty() && entries.peekLast().lostEvents()) {
                entries.pollLast();
            }
            if (events == depth) {
                entries.removeIf(Entry::lostEvents);
                entries.addLast(new Entry(seq, null));
            } else {
                entries.addLast(new Entry(seq, e));
                events++;
            }
        }
        listeners.forEach(Runnable::run);
    }

    /** Removes and returns up to {@code max} entries from the head (never blocks). */
    public synchronized List<Entry> take(int max) {
        List<Entry> out = new ArrayList<>();
        for (Iterator<Entry> it = entries.iterator(); it.hasNext() && out.size() < max; ) {
            Entry e = it.next();
            it.remove();
            if (!e.lostEvents()) {
                events--;
            }
            out.add(e);
        }
        return out;
    }

    public synchronized int size() {
        return entries.size();
    }

    public void listen(Runnable r) {
        listeners.add(r);
    }

    public void unlisten(Runnable r) {
        listeners.remove(r);
    }
}
