package dev.iommufd.tools.load;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How viommu-service batched user invalidations, from its Prometheus meters: calls answered
 * ({@code iommufd_viommu_invalidation_latency_seconds_count}), batches sent (one sync each) and the
 * descriptors / commands in them ({@code iommufd_viommu_invalidation_batch_entries_count / _sum}).
 * The difference of two readings shows whether concurrent clients share records and syncs.
 */
public record BatchMeters(long calls, long batches, long entries) {
    static final String CALLS = "iommufd_viommu_invalidation_latency_seconds_count";
    static final String BATCHES = "iommufd_viommu_invalidation_batch_entries_count";
    static final String ENTRIES = "iommufd_viommu_invalidation_batch_entries_sum";

    /** Reads the three meters from a Prometheus text page (absent meters read 0: nothing was invalidated yet). */
    public static BatchMeters parse(String prometheus) {
        long calls = 0;
        long batches = 0;
        long entries = 0;
        for (String line : prometheus.split("\n")) {
            // name{labels} value: labels may hold spaces, other meters values like +Inf; only ours are read
            int end = 0;
            while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) {
                end++;
            }
            String name = line.substring(0, end);
            if (!name.equals(CALLS) && !name.equals(BATCHES) && !name.equals(ENTRIES)) {
                continue;
            }
            long v = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
            switch (name) {
                case CALLS -> calls += v;
                case BATCHES -> batches += v;
                case ENTRIES -> entries += v;
                default -> { }
            }
        }
        return new BatchMeters(calls, batches, entries);
    }

    public BatchMeters since(BatchMeters before) {
        return new BatchMeters(calls - before.calls, batches - before.batches, entries - before.entries);
    }

    public double callsPerBatch() {
        return batches == 0 ? Double.NaN : (double) calls / batches;
    }

    public double entriesPerBatch() {
        return batches == 0 ? Double.NaN : (double) entries / batches;
    }

    public String text() {
        return String.format("viommu-service: %d calls in %d batches (one sync each) = %.2f calls, %.1f descriptors/commands per batch%n",
                calls, batches, callsPerBatch(), entriesPerBatch());
    }

    public void into(ObjectNode report) {
        report.putObject("viommuBatches").put("calls", calls).put("batches", batches).put("entries", entries)
                .put("callsPerBatch", callsPerBatch()).put("entriesPerBatch", entriesPerBatch());
    }
}
