package dev.iommufd.viommu.veventq;

import java.util.List;

/**
 * The state of one vEVENTQ and what a report or a read does to it, as the kernel's
 * {@code iommufd_viommu_report_event} / {@code iommufd_vevent_handler}: at most {@code depth}
 * events; every report takes the next sequence number (wrapping at INT_MAX like the kernel's); a
 * report into a full queue is lost and (re)places the single LOST_EVENTS marker at the tail with
 * that sequence; the next event that fits replaces a marker still at the tail. Either way the gap
 * in sequences shows the loss. Reading consumes from the head.
 *
 * <p>Pure: {@link VeventqStore} loads it from the queue row under the row lock, applies the
 * decision to the entries and stores {@link Report#after()} — so replicas and concurrent calls
 * stay exact. The marker is only ever at the tail (a report removes it before appending), so
 * {@code markerAtTail} is "the queue holds the marker".
 *
 * @param events       queued events, the marker not counted ({@code num_events})
 * @param nextSequence the sequence of the next report, 0..INT_MAX
 */
public record EventRing(int depth, int events, int nextSequence, boolean markerAtTail) {
    /** A virtual event: the vdevice's virtId and the hardware's record. */
    public record VEvent(long virtId, String type, int code, long addr, List<Long> evt) {}

    /** A queue entry: an event, or the marker ({@code event} null). */
    public record Entry(int sequence, VEvent event) {
        public static Entry marker(int sequence) {
            return new Entry(sequence, null);
        }

        public boolean lostEvents() {
            return event == null;
        }
    }

    /**
     * What one report does: first remove the marker at the tail ({@code dropTailMarker}), then
     * append at the tail the event — or, {@code lost}, the marker — with {@code sequence}.
     */
    public record Report(int sequence, boolean dropTailMarker, boolean lost, EventRing after) {}

    public EventRing {
        if (depth < 1 || events < 0 || events > depth || nextSequence < 0) {
            throw new IllegalArgumentException("vEVENTQ state depth " + depth + " events " + events + " next " + nextSequence);
        }
    }

    /** A new, empty queue. */
    public static EventRing empty(int depth) {
        return new EventRing(depth, 0, 0, false);
    }

    public Report report() {
        boolean lost = events == depth;
        EventRing after = new EventRing(depth, lost ? events : events + 1, (nextSequence + 1) & Integer.MAX_VALUE, lost);
        return new Report(nextSequence, markerAtTail, lost, after);
    }

    /** The state after {@code taken}, the head of the queue, was read (and so removed). */
    public EventRing consumed(List<Entry> taken) {
        int evs = (int) taken.stream().filter(e -> !e.lostEvents()).count();
        boolean markerTaken = taken.stream().anyMatch(Entry::lostEvents);
        if (evs > events || (markerTaken && !markerAtTail)) {
            throw new IllegalArgumentException("took more than the queue held");
        }
        return new EventRing(depth, events - evs, nextSequence, markerAtTail && !markerTaken);
    }
}
