package dev.iommufd.tools.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.tools.replay.KafkaSource;
import dev.iommufd.tools.replay.Ndjson;
import dev.iommufd.tools.replay.Recorded;
import dev.iommufd.tools.replay.Replay;
import dev.iommufd.tools.replay.ReplayReport;
import dev.iommufd.tools.replay.Selection;
import dev.iommufd.tools.replay.StreamItem;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The flight recorder: reads the recorded topics (or an exported NDJSON file), selects, prints the
 * timeline, re-drives the hardware commands into hw-sim's model and checks the invariants.
 * Exit code: 0 clean, 1 invariant violation (or a digest different from {@code --hw-sim}'s), 2 bad input.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Replay the recorded event stream: timeline, hw-sim digest, invariant violations.")
public class ReplayCommand implements Callable<Integer> {
    @Option(names = "--bootstrap", defaultValue = "127.0.0.1:19092", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE})")
    String bootstrap;

    @Option(names = "--topics", split = ",", description = "topics to read (default: all of the contract but the dead-letter topic)")
    List<String> topics;

    @Option(names = "--from-offset", description = "first offset of every partition")
    Long fromOffset;

    @Option(names = "--to-offset", description = "last offset of every partition (inclusive)")
    Long toOffset;

    @Option(names = "--from-time", description = "first record time, ISO-8601 (2026-11-29T20:00:00Z)")
    Instant fromTime;

    @Option(names = "--to-time", description = "last record time, ISO-8601 (inclusive)")
    Instant toTime;

    @Option(names = "--from-file", description = "replay this NDJSON export instead of Kafka (order of the file)")
    Path fromFile;

    @Option(names = "--context", description = "only events of this context")
    String context;

    @Option(names = "--device", description = "only events of this device (RID) and of the domains it was attached to")
    String device;

    @Option(names = "--domain", description = "only events of this domain (<context>/<hwpt id>) and of devices attached to it")
    String domain;

    @Option(names = "--iova-range", description = "only events touching START-END (END exclusive; hex or decimal)")
    String iovaRange;

    @Option(names = "--correlation", description = "only events with this correlation id")
    String correlation;

    @Option(names = "--export", description = "write the selected events to this NDJSON file")
    Path export;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Option(names = "--no-timeline", description = "print only summary, digest and violations")
    boolean noTimeline;

    @Option(names = "--hw-sim", description = "compare the digest with this live hw-sim's (e.g. http://127.0.0.1:8084); meaningful without filters")
    String hwSim;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    private String liveDigest(PrintStream err) {
        Http.Reply d;
        try {
            d = new Http().call("GET", hwSim + "/v1/hw/state/digest", null, null);
        } catch (IllegalStateException e) {
            err.println("replay: " + e.getMessage());
            return null;
        }
        if (d.status() != 200 || d.body() == null || !d.body().hasNonNull("digest")) {
            err.println("replay: " + hwSim + " answered " + d);
            return null;
        }
        return d.body().get("digest").asText();
    }

    int run(PrintStream out, PrintStream err) {
        Selection selection;
        List<String> wanted = topics != null ? topics : Topics.ALL.stream().filter(t -> !t.equals(Topics.DEAD_LETTER)).toList();
        try {
            Long start = null;
            Long end = null;
            if (iovaRange != null) {
                long[] r = Selection.parseRange(iovaRange);
                start = r[0];
                end = r[1];
            }
            selection = new Selection(context, device, domain, start, end, correlation);
        } catch (IllegalArgumentException e) {
            err.println("replay: " + e.getMessage());
            return 2;
        }
        // the live digest before and after reading: if it moved, commands arrived meanwhile and the comparison says nothing
        String liveBefore = hwSim == null ? null : liveDigest(err);
        if (hwSim != null && liveBefore == null) {
            return 2;
        }
        List<StreamItem> stream = new ArrayList<>();
        List<String> preface = new ArrayList<>();
        if (fromFile != null) {
            try (BufferedReader in = Files.newBufferedReader(fromFile, StandardCharsets.UTF_8)) {
                for (StreamItem i : Ndjson.read(in)) {
                    if (!(i instanceof Recorded r) || wanted.contains(r.topic())) {
                        stream.add(i);
                    }
                }
            } catch (IOException | Ndjson.BadLineException e) {
                err.println("replay: " + fromFile + ": " + e.getMessage());
                return 2;
            }
            preface.add("source " + fromFile.getFileName() + " (" + stream.size() + " items)");
        } else {
            KafkaSource.Result r;
            try {
                r = new KafkaSource(bootstrap).read(wanted, new KafkaSource.Range(fromOffset, toOffset, fromTime, toTime));
            } catch (RuntimeException e) {
                err.println("replay: cannot read from Kafka at " + bootstrap + ": " + e.getMessage());
                return 2;
            }
            stream.addAll(r.items());
            preface.add("source kafka " + bootstrap + " topics " + String.join(",", wanted) + " (" + r.items().size() + " events)");
            r.missingTopics().forEach(t -> preface.add("topic " + t + " does not exist"));
            r.malformed().forEach(m -> preface.add("malformed record " + m.where() + " skipped: " + m.reason()));
        }
        List<StreamItem> selected = selection.apply(stream);
        if (!selection.isAll()) {
            preface.add("selected " + selected.size() + " of " + stream.size());
        }
        if (export != null) {
            try (Writer w = Files.newBufferedWriter(export, StandardCharsets.UTF_8)) {
                Ndjson.write(selected, w);
            } catch (IOException e) {
                err.println("replay: cannot write " + export + ": " + e.getMessage());
                return 2;
            }
            preface.add("exported " + selected.size() + " items to " + export);
        }
        ReplayReport report = Replay.run(selected, Topology.defaults());
        String liveDigest = hwSim == null ? null : liveDigest(err);
        if (hwSim != null && liveDigest == null) {
            return 2;
        }
        boolean liveMoved = liveDigest != null && !liveDigest.equals(liveBefore);
        // a live hw-sim holds the state of every command: only a whole, unbounded stream of commands can match it
        boolean comparable = selection.isAll() && fromOffset == null && toOffset == null && fromTime == null && toTime == null
                && wanted.contains(Topics.HW_COMMANDS);
        boolean digestDiffers = liveDigest != null && comparable && !liveMoved && !liveDigest.equals(report.digest());
        if (json) {
            ObjectNode n = (ObjectNode) report.toJson();
            preface.forEach(n.putArray("source")::add);
            if (noTimeline) {
                n.remove("timeline");
            }
            if (liveDigest != null) {
                n.put("liveDigest", liveDigest).put("liveDigestComparable", comparable).put("liveDigestMoved", liveMoved).put("liveDigestDiffers", digestDiffers);
            }
            out.println(n.toPrettyString());
        } else {
            preface.forEach(p -> out.println("# " + p));
            ReplayReport shown = noTimeline ? new ReplayReport(List.of(), report.kinds(), report.latencies(), report.digest(),
                    report.commandsApplied(), report.duplicates(), report.rejected(), report.notes(), report.violations()) : report;
            shown.printText(out);
            if (liveDigest != null && !comparable) {
                out.println("live hw-sim digest " + liveDigest + " not compared: the replay saw only part of the commands");
            } else if (liveMoved) {
                out.println("live hw-sim digest changed while reading (" + liveBefore + " → " + liveDigest
                        + "): commands arrived meanwhile, not compared");
            } else if (liveDigest != null) {
                out.println(digestDiffers ? "live hw-sim digest " + liveDigest + " DIFFERS from the replay's"
                        : "live hw-sim digest " + liveDigest + " = the replay's");
            }
        }
        return report.violations().isEmpty() && !digestDiffers ? 0 : 1;
    }
}
