package dev.iommufd.tools.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a replay found: the timeline, counts per kind, latencies of linked pairs, the re-driven
 * hardware's digest and the invariant violations. Rendering uses no wall clock, so the same stream
 * always prints the same bytes.
 */
public record ReplayReport(List<Line> timeline, Map<String, Long> kinds, Map<String, Histogram> latencies, String digest,
                           long commandsApplied, long duplicates, List<String> rejected, List<String> notes,
                           List<Violation> violations) {

    /** One timeline line; {@code link} says which earlier event it answers or completes (may be empty). */
    public record Line(int index, String where, String time, String source, String key, long sequence, String kind,
                       String fields, String link, JsonNode event) {
        public String text() {
            return String.format("#%-4d %-24s %-13s %-6s %-17s %s%s", index, time, source, key, kind, fields,
                    link.isEmpty() ? "" : "  " + link);
        }
    }

    /** A broken invariant, naming the offending events ({@code #index id where}). */
    public record Violation(String type, String message, List<String> events) {}

    public void printText(PrintStream out) {
        out.println("== timeline (" + timeline.size() + " events)");
        timeline.forEach(l -> out.println(l.text()));
        out.println();
        out.println("== summary");
        kinds.forEach((k, v) -> out.printf("  %-20s %d%n", k, v));
        latencies.entrySet().stream().filter(l -> l.getValue().getTotalCount() > 0).forEach(l -> out.printf("  %-30s n=%d  p50 %s  p90 %s  p99 %s  max %s%n", l.getKey() + " latency", l.getValue().getTotalCount(),
                us(l.getValue().getValueAtPercentile(50)), us(l.getValue().getValueAtPercentile(90)),
                us(l.getValue().getValueAtPercentile(99)), us(l.getValue().getMaxValue())));
        out.println();
        out.println("== re-driven into a fresh hw-sim model (CommandQueues over Platform, default topology)");
        out.printf("  digest %s  (%d commands applied, %d duplicates skipped, %d rejected)%n", digest, commandsApplied, duplicates,
                rejected.size());
        rejected.forEach(r -> out.println("  rejected: " + r));
        notes.forEach(n -> out.println("  note: " + n));
        out.println();
        if (violations.isEmpty()) {
            out.println("== invariants: no violation");
        } else {
            out.println("== invariants: " + violations.size() + " violation(s)");
            violations.forEach(v -> out.println("  " + v.type() + ": " + v.message()));
        }
    }

    public JsonNode toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        ArrayNode t = root.putArray("timeline");
        for (Line l : timeline) {
            ObjectNode n = t.addObject();
            n.put("index", l.index()).put("where", l.where()).put("time", l.time()).put("source", l.source()).put("key", l.key())
                    .put("sequence", l.sequence()).put("kind", l.kind()).put("fields", l.fields()).put("link", l.link());
            if (l.event() != null) {
                n.set("event", l.event());
            }
        }
        ObjectNode k = root.putObject("kinds");
        kinds.forEach(k::put);
        ObjectNode lat = root.putObject("latenciesUs");
        latencies.forEach((name, h) -> lat.putObject(jsonName(name)).put("count", h.getTotalCount()).put("p50", h.getValueAtPercentile(50))
                .put("p90", h.getValueAtPercentile(90)).put("p99", h.getValueAtPercentile(99)).put("max", h.getMaxValue()));
        root.put("digest", digest).put("commandsApplied", commandsApplied).put("duplicates", duplicates);
        rejected.forEach(root.putArray("rejected")::add);
        notes.forEach(root.putArray("notes")::add);
        ArrayNode vs = root.putArray("violations");
        for (Violation v : violations) {
            ObjectNode n = vs.addObject().put("type", v.type()).put("message", v.message());
            v.events().forEach(n.putArray("events")::add);
        }
        return root;
    }

    /** {@code sync→completion} → {@code syncToCompletion}: JSON keys a jq user can type. */
    static String jsonName(String name) {
        StringBuilder b = new StringBuilder();
        boolean upper = false;
        for (String part : name.replace("→", " to ").split(" ")) {
            if (part.isEmpty()) {
                continue;
            }
            b.append(upper ? Character.toUpperCase(part.charAt(0)) + part.substring(1) : part);
            upper = true;
        }
        return b.toString();
    }

    static String us(long micros) {
        return micros >= 10_000 ? String.format("%.1f ms", micros / 1000.0) : micros + " µs";
    }
}
