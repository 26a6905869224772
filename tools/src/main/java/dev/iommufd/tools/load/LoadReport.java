package dev.iommufd.tools.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The result of one {@code iommuctl load} run: what a person reads in the terminal, the JSON file
 * and the HTML page are all rendered from this one value.
 *
 * @param latency          latency as measured, µs: unmap call → answer; for {@code page-fault} DMA start → DMA done
 * @param corrected        the same corrected for coordinated omission (µs): with a target rate, measured
 *                         from each operation's intended start; closed loop, HdrHistogram's correction with
 *                         the median as the expected interval
 * @param lazyWindow       LAZY only: unmap answered → the DMA faults (µs), else null
 * @param intervals        one sample per second of the run
 * @param atcHits          hw-sim's device-TLB (ATS) hits during the run: an ATS device's repeated DMA never reaches the IOTLB
 * @param iotlbHitRate     hw-sim's IOTLB hits / (hits + misses) during the run, NaN without lookups
 * @param baseline         the raw Kafka ceiling of the same run, or null without {@code --baseline}
 * @param entriesPerOperation invalidation entries per call of the array scenarios ({@code --entries}), else 1
 */
public record LoadReport(String scenario, int clients, int contexts, double targetRate, long operations, double seconds, long failed,
                         Histogram latency, Histogram corrected, Histogram lazyWindow, List<Interval> intervals,
                         long iotlbHits, long iotlbMisses, long atcHits, double iotlbHitRate, long staleTranslations, KafkaBaseline.Result baseline,
                         int entriesPerOperation) {

    /** One second of the run: operations completed in it and their latency (µs). */
    public record Interval(double atSeconds, long operations, long p50Us, long p99Us, long maxUs) {}

    public static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
    public static final String PAGE_FAULT = "page-fault";
    public static final String VTD_INVALIDATE = "vtd-invalidate";
    public static final String SMMU_INVALIDATE = "smmu-invalidate";
    /** Default entries in each invalidation array of the array scenarios (DESIGN.md's 256-entry arrays). */
    public static final int ARRAY_ENTRIES = 256;

    /** Without an explicit entry count: {@link #ARRAY_ENTRIES} for the array scenarios, else 1. */
    public LoadReport(String scenario, int clients, int contexts, double targetRate, long operations, double seconds, long failed,
                      Histogram latency, Histogram corrected, Histogram lazyWindow, List<Interval> intervals,
                      long iotlbHits, long iotlbMisses, long atcHits, double iotlbHitRate, long staleTranslations, KafkaBaseline.Result baseline) {
        this(scenario, clients, contexts, targetRate, operations, seconds, failed, latency, corrected, lazyWindow, intervals, iotlbHits,
                iotlbMisses, atcHits, iotlbHitRate, staleTranslations, baseline, invalidation(scenario) ? ARRAY_ENTRIES : 1);
    }

    /** The scenarios whose operation is one user invalidation array (VT-d stage-1 entries or SMMUv3 commands). */
    public static boolean invalidation(String scenario) {
        return scenario.equals(VTD_INVALIDATE) || scenario.equals(SMMU_INVALIDATE);
    }

    /** What one operation is, in the scenario's words (plural). */
    public String ops() {
        return scenario.equals(PAGE_FAULT) ? "fault round trips" : invalidation(scenario) ? "invalidation arrays" : "unmaps";
    }

    /** The latency measured, in the scenario's words. */
    public String what() {
        return scenario.equals(PAGE_FAULT) ? "fault round trip" : invalidation(scenario) ? "invalidate call" : "unmap";
    }

    public double operationsPerSecond() {
        return seconds <= 0 ? 0 : operations / seconds;
    }

    /** The strict invariant: a STRICT scenario must never see a stale translation. */
    public boolean lazy() {
        return lazyWindow != null;
    }

    public boolean passed() {
        return failed == 0 && (lazy() || staleTranslations == 0);
    }

    public static String label(double percentile) {
        return percentile == 100 ? "max" : "p" + (percentile == Math.rint(percentile) ? String.valueOf((long) percentile) : String.valueOf(percentile));
    }

    public ObjectNode toJson() {
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("scenario", scenario).put("clients", clients).put("contexts", contexts).put("targetRate", targetRate)
                .put("operations", operations).put("seconds", seconds).put("operationsPerSecond", operationsPerSecond())
                .put("failed", failed).put("passed", passed());
        if (invalidation(scenario)) {
            r.put("entriesPerOperation", entriesPerOperation()).put("entriesPerSecond", operationsPerSecond() * entriesPerOperation());
        }
        percentiles(r.putObject("latencyUs"), latency);
        percentiles(r.putObject("correctedLatencyUs"), corrected);
        if (lazyWindow != null) {
            percentiles(r.putObject("lazyWindowUs"), lazyWindow);
        }
        r.putObject("hwSim").put("iotlbHits", iotlbHits).put("iotlbMisses", iotlbMisses).put("atcHits", atcHits)
                .put("iotlbHitRate", Double.isNaN(iotlbHitRate) ? null : iotlbHitRate).put("staleTranslations", staleTranslations);
        if (baseline != null) {
            ObjectNode b = r.putObject("baseline");
            b.put("kafkaRecordsPerSecond", baseline.recordsPerSecond()).put("kafkaRecords", baseline.records())
                    .put("recordBytes", KafkaBaseline.RECORD_BYTES).put("hopP50Us", baseline.hopP50Us()).put("hopP99Us", baseline.hopP99Us())
                    .put("hopMaxUs", baseline.hopMaxUs()).put("throughputRatio", operationsPerSecond() / baseline.recordsPerSecond())
                    .put("p50RatioToHop", ratio(latency.getValueAtPercentile(50), baseline.hopP50Us()))
                    .put("p99RatioToHop", ratio(latency.getValueAtPercentile(99), baseline.hopP99Us()))
                    .put("entriesRatio", operationsPerSecond() * entriesPerOperation() / baseline.recordsPerSecond());
        }
        var t = r.putArray("intervals");
        for (Interval i : intervals) {
            t.addObject().put("atSeconds", i.atSeconds()).put("operations", i.operations()).put("p50Us", i.p50Us())
                    .put("p99Us", i.p99Us()).put("maxUs", i.maxUs());
        }
        return r;
    }

    static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    private static void percentiles(ObjectNode n, Histogram h) {
        n.put("count", h.getTotalCount());
        for (double p : PERCENTILES) {
            n.put(label(p), p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p));
        }
        n.put("mean", h.getMean());
    }

    /** The terminal summary. */
    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("scenario %s: %d clients over %d contexts%s, %d %s in %.1f s = %.0f %s/s%n", scenario, clients, contexts,
                targetRate > 0 ? String.format(", target %.0f/s", targetRate) : " (closed loop)", operations, ops(), seconds,
                operationsPerSecond(), ops()));
        if (invalidation(scenario)) {
            b.append(String.format("  %d entries each: %.0f invalidation entries/s%s%n", entriesPerOperation(), operationsPerSecond() * entriesPerOperation(),
                    baseline == null ? "" : String.format(" = %.3g × the Kafka record rate", operationsPerSecond() * entriesPerOperation()
                            / baseline.recordsPerSecond()))); // 3 significant digits: small arrays are far below 0.01
        }
        b.append(String.format("%-26s ", what() + " latency µs")).append(line(latency)).append('\n');
        b.append("  corrected for CO µs      ").append(line(corrected)).append('\n');
        if (lazyWindow != null) {
            b.append("lazy window µs (answer → DMA faults) ").append(line(lazyWindow)).append('\n');
        }
        b.append(String.format("hw-sim: IOTLB hit rate %s (%d hits, %d misses), ATC hits %d, staleTranslations %d%s%n",
                Double.isNaN(iotlbHitRate) ? "n/a" : String.format("%.1f%%", 100 * iotlbHitRate), iotlbHits, iotlbMisses, atcHits, staleTranslations,
                lazy() ? " (expected in LAZY mode)" : " (must be 0 in STRICT mode)"));
        if (baseline != null) {
            b.append(String.format("baseline (same run): raw Kafka %,.0f records/s (%d B, acks=all), one hop p50 %d µs p99 %d µs%n",
                    baseline.recordsPerSecond(), KafkaBaseline.RECORD_BYTES, baseline.hopP50Us(), baseline.hopP99Us()));
            b.append(String.format("  → %s/s = %.4f × the Kafka record rate; %s p50 = %.1f × hop p50, p99 = %.1f × hop p99%n",
                    ops(), operationsPerSecond() / baseline.recordsPerSecond(), what(), ratio(latency.getValueAtPercentile(50), baseline.hopP50Us()),
                    ratio(latency.getValueAtPercentile(99), baseline.hopP99Us())));
        }
        b.append("failed calls ").append(failed).append(passed() ? "" : "  → FAILED").append('\n');
        return b.toString();
    }

    private static String line(Histogram h) {
        StringBuilder b = new StringBuilder();
        for (double p : PERCENTILES) {
            b.append(label(p)).append(' ').append(p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p)).append("  ");
        }
        return b.toString().trim();
    }
}
