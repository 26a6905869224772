package dev.iommufd.tools.load;

/**
 * When each operation should start for a target rate, so latency can be measured from the intended
 * start (what a caller at that rate would see) instead of from the moment a stalled client got round
 * to it — the coordinated-omission correction of an open-loop load. Clients are staggered evenly
 * inside one period. A rate of 0 means closed loop (no schedule).
 */
public record Pacing(double totalRate, int clients) {
    public Pacing {
        if (totalRate < 0 || clients < 1) {
            throw new IllegalArgumentException("rate must be >= 0 and clients >= 1");
        }
    }

    public boolean closedLoop() {
        return totalRate == 0;
    }

    /** Nanoseconds after the start at which operation {@code op} of client {@code client} is due. */
    public long dueNanos(int client, long op) {
        if (closedLoop()) {
            return 0;
        }
        double periodNanos = 1e9 * clients / totalRate; // between two operations of one client
        return (long) ((op + (double) client / clients) * periodNanos);
    }
}
