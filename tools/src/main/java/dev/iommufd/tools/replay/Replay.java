package dev.iommufd.tools.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.ReadDirty;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.platform.Platform;
import dev.iommufd.sim.queue.CommandQueues;
import java.lang.reflect.RecordComponent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Walks a selected stream once, in order: prints each event with what it answers, re-drives every
 * {@code iommufd.hw.commands} event through hw-sim's own {@link CommandQueues} over a fresh
 * {@link Platform}, and checks the invariants of DESIGN.md that a stream can show:
 * <ul>
 *   <li>SEQUENCE_BACKWARDS — a sequence not above the previous one of its (source, key): a replay or a lost order;</li>
 *   <li>COMPLETION_BEFORE_COMMANDS — a COMPLETION before the SYNC it answers, or a command of its queue at or below
 *       its {@code upToSequence} arriving after it (the completion claimed an effect that had not happened);</li>
 *   <li>COMPLETION_OUT_OF_ORDER — completions of one queue must come in order (DESIGN.md invariant 3);</li>
 *   <li>COMPLETION_MISMATCH — the re-driven hardware answers the same SYNC with a different {@code upToSequence};</li>
 *   <li>PAGE_RESPONSE_TWICE / PAGE_REQUEST_UNANSWERED — a page-request group answered twice, or never by the end;</li>
 *   <li>STALE_DMA — a DMA probe (files only: DMAs are not on Kafka) served by the re-driven hardware from a
 *       translation whose unmap had already completed.</li>
 * </ul>
 * Deterministic: the model runs on a fixed clock and nothing here reads the wall clock.
 */
public final class Replay {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SYNC_LATENCY = "sync→completion";
    static final String UNMAP_LATENCY = "unmap→completion";
    static final String PRI_LATENCY = "page request→response";

    private final Platform platform;
    private final CommandQueues queues;

    private final List<ReplayReport.Line> timeline = new ArrayList<>();
    private final Map<String, Long> kinds = new TreeMap<>();
    private final Map<String, Histogram> latencies = new LinkedHashMap<>();
    private final List<String> rejected = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<ReplayReport.Violation> violations = new ArrayList<>();
    private long applied;

    private record Seen(int index, Recorded r) {
        String ref() {
            return "#" + index + " " + r.event().id() + " " + r.where();
        }

        Instant time() {
            return r.event().time();
        }
    }

    private record OpenUnmap(Seen at, UnmapRange unmap) {}

    private record CompletedUnmap(Seen unmap, Seen completion) {}

    private record Group(String iommu, String rid, Integer pasid, int grpid) {
        @Override
        public String toString() {
            return iommu + " " + rid + (pasid == null ? "" : " pasid " + pasid) + " grpid " + grpid;
        }
    }

    private final Map<String, Seen> lastSequence = new HashMap<>();
    private final Map<String, Seen> byId = new HashMap<>();
    private long redelivered;
    /** SYNC and READ_DIRTY requests by correlation id. */
    private final Map<String, Seen> syncs = new HashMap<>();
    private final Map<String, Seen> completionsBySync = new HashMap<>();
    private final Map<String, Seen> completionsWaitingForSync = new LinkedHashMap<>();
    private final Map<String, Seen> highestCompletion = new HashMap<>();
    private final Map<String, Long> redriven = new HashMap<>();
    private final Map<String, List<OpenUnmap>> openUnmaps = new HashMap<>();
    private final List<CompletedUnmap> completedUnmaps = new ArrayList<>();
    private final Map<String, String> attachments = new HashMap<>();
    private final Map<Group, Seen> groupsOpen = new LinkedHashMap<>();
    private final Map<Group, Seen> groupsWaiting = new LinkedHashMap<>();
    private final Map<Group, Seen> groupsAnswered = new HashMap<>();
    private int index;

    private Replay(Topology topology) {
        this.platform = new Platform(topology, new HostMemory());
        this.queues = new CommandQueues(topology, platform, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        for (String l : List.of(SYNC_LATENCY, UNMAP_LATENCY, PRI_LATENCY)) {
            latencies.put(l, new Histogram(3));
        }
    }

    /** Replays {@code stream} (already selected and in delivery order) on the given topology. */
    public static ReplayReport run(List<? extends StreamItem> stream, Topology topology) {
        Replay r = new Replay(topology);
        for (StreamItem i : stream) {
            r.index++;
            if (i instanceof Recorded rec) {
                r.event(new Seen(r.index, rec));
            } else {
                r.dma((DmaProbe) i);
            }
        }
        return r.finish();
    }

    private void event(Seen s) {
        EventEnvelope e = s.r().event();
        EventPayload p = e.payload();
        String kind = EventJson.kind(p);
        kinds.merge(kind, 1L, Long::sum);
        List<String> link = new ArrayList<>();

        String queue = e.source() + '\u0000' + e.key();
        Seen original = e.id() == null ? null : byId.putIfAbsent(e.id() + '\u0000' + e.sequence(), s);
        if (original != null) {
            // at-least-once delivery: the same event again is allowed; every consumer skips it, and so does the analysis
            redelivered++;
            if (Topics.HW_COMMANDS.equals(s.r().topic())) {
                queues.apply(e); // hw-sim counts it as a duplicate
            }
            timeline.add(new ReplayReport.Line(s.index(), s.r().where(), e.time().toString(), e.source(), shortKey(e.key()), e.sequence(),
                    kind, fields(p, e), "redelivery of #" + original.index(), json(e)));
            return;
        }
        Seen prev = lastSequence.get(queue);
        if (prev != null && e.sequence() <= prev.r().event().sequence()) {
            violation("SEQUENCE_BACKWARDS", s.ref() + " has sequence " + e.sequence() + " of (" + e.source() + ", " + e.key()
                    + ") not above " + prev.r().event().sequence() + " of " + prev.ref(), s, prev);
        } else {
            lastSequence.put(queue, s);
        }

        if (Topics.HW_COMMANDS.equals(s.r().topic())) {
            command(s, p, queue, link);
        } else if (p instanceof Completion c) {
            completion(s, c, link);
        } else if (p instanceof DirtyReport) {
            Seen read = e.correlationId() == null ? null : syncs.get(e.correlationId());
            if (read != null) {
                link.add("← READ_DIRTY #" + read.index());
            }
        } else if (p instanceof PageRequest pr) {
            Group g = new Group(pr.iommu(), pr.rid(), pr.pasid(), pr.grpid());
            groupsAnswered.remove(g); // the group index is free again: a new group
            Seen first = groupsOpen.putIfAbsent(g, s);
            if (first != null) {
                link.add("group of #" + first.index());
            }
            if (pr.last()) { // the device now waits for the group's response
                groupsOpen.remove(g);
                groupsWaiting.put(g, s);
            }
        }
        timeline.add(new ReplayReport.Line(s.index(), s.r().where(), e.time().toString(), e.source(), shortKey(e.key()), e.sequence(), kind,
                fields(p, e), String.join("; ", link), json(e)));
    }

    private void command(Seen s, EventPayload p, String queue, List<String> link) {
        EventEnvelope e = s.r().event();
        Seen done = highestCompletion.get(queue);
        boolean claimed = done != null && e.sequence() <= ((Completion) done.r().event().payload()).upToSequence();
        if (claimed) {
            violation("COMPLETION_BEFORE_COMMANDS", done.ref() + " completed (" + e.source() + ", " + e.key() + ") up to sequence "
                    + ((Completion) done.r().event().payload()).upToSequence() + " before its command " + s.ref() + " (sequence "
                    + e.sequence() + ") arrived", s, done);
        }
        if (p instanceof SyncRequest) {
            syncs.putIfAbsent(e.correlationId(), s);
            Seen early = completionsWaitingForSync.remove(e.correlationId());
            if (early != null && !claimed) {
                violation("COMPLETION_BEFORE_COMMANDS", early.ref() + " answers " + s.ref() + " which came after it", s, early);
            }
        } else if (p instanceof ReadDirty) {
            syncs.putIfAbsent(e.correlationId(), s); // answered by a DIRTY_REPORT with its correlation id
        } else if (p instanceof UnmapRange u) {
            openUnmaps.computeIfAbsent(queue, k -> new ArrayList<>()).add(new OpenUnmap(s, u));
        } else if (p instanceof InvalidateIotlb inv) {
            linkIotlb(queue, inv.domain(), inv.iova(), inv.length(), link);
        } else if (p instanceof InvalidateAtc inv) {
            linkAtc(queue, inv.rid(), inv.iova(), inv.length(), link);
        } else if (p instanceof InvalidateBatch b) {
            // its descriptors as the single records they stand for; an unmap is linked once
            List<String> mine = new ArrayList<>();
            for (InvalidateBatch.Inv inv : b.invs()) {
                if (inv.domain() != null) {
                    linkIotlb(queue, inv.domain(), inv.iova(), inv.length(), mine);
                } else if (inv.rid() != null) {
                    linkAtc(queue, inv.rid(), inv.iova(), inv.length(), mine);
                }
            }
            mine.stream().distinct().forEach(link::add);
        } else if (p instanceof AttachDevice a) {
            String k = a.rid() + (a.pasid() == null ? "" : "/" + a.pasid());
            if (a.domain() == null) {
                attachments.remove(k);
            } else {
                attachments.put(k, a.domain());
            }
        } else if (p instanceof PageResponse r) {
            Group g = new Group(r.iommu(), r.rid(), r.pasid(), r.grpid());
            Seen req = groupsWaiting.remove(g);
            if (req == null) {
                req = groupsOpen.remove(g);
            }
            if (req != null) {
                groupsAnswered.put(g, s);
                link.add("← PAGE_REQUEST #" + req.index() + " " + latency(PRI_LATENCY, req.time(), e.time()));
            } else if (groupsAnswered.containsKey(g)) {
                Seen first = groupsAnswered.get(g);
                violation("PAGE_RESPONSE_TWICE", s.ref() + " answers group " + g + " already answered by " + first.ref(), s, first);
            } else {
                notes.add(s.ref() + " answers group " + g + " with no request in the selection (hardware ignores it)");
            }
        }
        try {
            for (EventEnvelope out : queues.apply(e)) {
                if (out.payload() instanceof Completion c) {
                    redriven.put(out.correlationId(), c.upToSequence());
                }
            }
            applied++;
        } catch (RuntimeException ex) {
            // hw-sim dead-letters what it cannot apply and goes on; so does the replay
            rejected.add(s.ref() + " " + EventJson.kind(p) + ": " + ex.getMessage());
        }
    }

    private void completion(Seen s, Completion c, List<String> link) {
        EventEnvelope e = s.r().event();
        String queue = c.source() + '\u0000' + c.iommu();
        Seen highest = highestCompletion.get(queue);
        boolean again = e.correlationId() != null && completionsBySync.containsKey(e.correlationId());
        if (highest == null || ((Completion) highest.r().event().payload()).upToSequence() < c.upToSequence()) {
            highestCompletion.put(queue, s);
        } else if (!again) { // a restarted hw-sim answers old syncs again: that is not disorder
            violation("COMPLETION_OUT_OF_ORDER", s.ref() + " completes (" + c.source() + ", " + c.iommu() + ") up to " + c.upToSequence()
                    + " after " + highest.ref() + " completed up to " + ((Completion) highest.r().event().payload()).upToSequence(),
                    s, highest);
        }
        Seen sync = e.correlationId() == null ? null : syncs.get(e.correlationId());
        if (sync == null) {
            completionsWaitingForSync.putIfAbsent(e.correlationId() == null ? "#" + s.index() : e.correlationId(), s);
        } else {
            Seen earlier = completionsBySync.putIfAbsent(e.correlationId(), s);
            if (earlier != null) {
                link.add("← SYNC #" + sync.index() + " again (first answered by #" + earlier.index() + ", a re-driven hw-sim answers again)");
            } else {
                link.add("← SYNC #" + sync.index() + " " + latency(SYNC_LATENCY, sync.time(), e.time()));
            }
            Long expected = redriven.get(e.correlationId());
            if (expected != null && expected != c.upToSequence()) {
                violation("COMPLETION_MISMATCH", s.ref() + " claims up to " + c.upToSequence() + " but the re-driven hardware answered "
                        + sync.ref() + " up to " + expected, s, sync);
            }
        }
        List<OpenUnmap> open = openUnmaps.getOrDefault(queue, List.of());
        for (Iterator<OpenUnmap> it = open.iterator(); it.hasNext(); ) {
            OpenUnmap o = it.next();
            if (o.at().r().event().sequence() <= c.upToSequence()) {
                link.add("completes UNMAP #" + o.at().index() + " " + latency(UNMAP_LATENCY, o.at().time(), e.time()));
                completedUnmaps.add(new CompletedUnmap(o.at(), s));
                it.remove();
            }
        }
    }

    private void dma(DmaProbe d) {
        kinds.merge("DMA", 1L, Long::sum);
        long staleBefore = platform.totals().staleTranslations;
        String result;
        try {
            result = platform.dma(d.rid(), d.pasid(), d.iova(), d.length(), d.write(), d.write() ? new byte[d.length()] : null).status();
        } catch (RuntimeException ex) {
            result = "REJECTED " + ex.getMessage();
        }
        String link = "";
        if (platform.totals().staleTranslations > staleBefore) {
            String domain = attachments.get(d.rid() + (d.pasid() == null ? "" : "/" + d.pasid()));
            CompletedUnmap acked = null;
            for (CompletedUnmap u : completedUnmaps) {
                UnmapRange r = u.unmap().r().event().payload() instanceof UnmapRange ur ? ur : null;
                if (r != null && r.domain().equals(domain) && new Payloads.Range(r.iova(), r.length()).overlaps(d.iova(), d.iova() + d.length())) {
                    acked = u;
                }
            }
            String ref = "#" + index + " " + d.where();
            if (acked != null) {
                link = "STALE after UNMAP #" + acked.unmap().index() + " completed by #" + acked.completion().index();
                violations.add(new ReplayReport.Violation("STALE_DMA", "DMA " + ref + " was served from a stale translation after "
                        + acked.unmap().ref() + " was completed by " + acked.completion().ref(),
                        List.of(ref, acked.unmap().ref(), acked.completion().ref())));
            } else {
                link = "stale translation while its unmap is in flight (allowed)";
            }
        }
        timeline.add(new ReplayReport.Line(index, d.where(), Instant.ofEpochMilli(d.timestamp()).toString(), "dma", d.rid(), 0, "DMA",
                String.format("rid=%s%s iova=0x%x len=%d %s → %s", d.rid(), d.pasid() == null ? "" : " pasid=" + d.pasid(), d.iova(),
                        d.length(), d.write() ? "write" : "read", result), link, null));
    }

    private static String attachedRid(String attachKey) {
        int slash = attachKey.indexOf('/');
        return slash < 0 ? attachKey : attachKey.substring(0, slash);
    }

    private ReplayReport finish() {
        completionsWaitingForSync.values().forEach(c -> notes.add(c.ref() + " answers a SYNC that is not in the selection"));
        groupsWaiting.forEach((g, req) -> violations.add(new ReplayReport.Violation("PAGE_REQUEST_UNANSWERED",
                "page-request group " + g + " (last request " + req.ref() + ") got no response by the end of the stream", List.of(req.ref()))));
        groupsOpen.forEach((g, req) -> notes.add("page-request group " + g + " from " + req.ref() + " has no last request yet"));
        if (redelivered > 0) {
            notes.add(redelivered + " event(s) delivered more than once (same id and sequence): skipped, as consumers do");
        }
        notes.add("DMAs are not recorded on Kafka: stale translations are checked only for DMA lines of a file");
        return new ReplayReport(List.copyOf(timeline), new TreeMap<>(kinds), latencies,
                platform.digest(), applied, queues.duplicates(), List.copyOf(rejected), List.copyOf(notes), List.copyOf(violations));
    }

    private String latency(String name, Instant from, Instant to) {
        long us = Duration.between(from, to).toNanos() / 1000;
        if (us >= 0) {
            latencies.get(name).recordValue(us);
        }
        return "+" + ReplayReport.us(us);
    }

    /** An IOTLB invalidation of {@code domain} over an open unmap of its queue answers that unmap. */
    private void linkIotlb(String queue, String domain, long iova, long length, List<String> link) {
        for (OpenUnmap o : openUnmaps.getOrDefault(queue, List.of())) {
            if (o.unmap().domain().equals(domain)
                    && new Payloads.Range(iova, length).overlaps(o.unmap().iova(), o.unmap().iova() + o.unmap().length())) {
                link.add("← UNMAP #" + o.at().index());
            }
        }
    }

    /** So does the device-TLB invalidation of a device attached to the unmapped domain. */
    private void linkAtc(String queue, String rid, long iova, long length, List<String> link) {
        for (OpenUnmap o : openUnmaps.getOrDefault(queue, List.of())) {
            if (attachments.entrySet().stream()
                    .anyMatch(a -> a.getValue().equals(o.unmap().domain()) && attachedRid(a.getKey()).equals(rid))
                    && new Payloads.Range(iova, length).overlaps(o.unmap().iova(), o.unmap().iova() + o.unmap().length())) {
                link.add("← UNMAP #" + o.at().index());
            }
        }
    }

    private void violation(String type, String message, Seen... events) {
        List<String> refs = new ArrayList<>();
        for (Seen s : events) {
            refs.add(s.ref());
        }
        violations.add(new ReplayReport.Violation(type, message, refs));
    }

    private static JsonNode json(EventEnvelope e) {
        try {
            return JSON.readTree(EventJson.write(e));
        } catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The payload's components as {@code name=value}: addresses in hex, nulls left out, {@code <context>/<id>} shortened. */
    static String fields(EventPayload p, EventEnvelope e) {
        StringBuilder b = new StringBuilder();
        for (RecordComponent c : p.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(p);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
            if (v == null) {
                continue;
            }
            String name = c.getName();
            String text;
            if (v instanceof Long l && (name.equals("iova") || name.equals("length") || name.equals("addr") || name.equals("hostPa"))) {
                text = "0x" + Long.toHexString(l);
            } else if (v instanceof String s && (name.equals("domain") || name.equals("parent") || name.equals("viommu"))) {
                text = shortId(s);
            } else if (p instanceof InvalidateBatch && v instanceof List<?> list) {
                text = String.valueOf(list.size()); // summed up below
            } else if (v instanceof List<?> list && list.size() > 4) {
                text = "[" + list.size() + " items]";
            } else {
                text = String.valueOf(v);
            }
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(name).append('=').append(text);
        }
        if (p instanceof AttachDevice a && a.domain() == null) {
            b.append(" domain=blocked");
        }
        if (p instanceof InvalidateBatch ib) {
            // the descriptors in brief: how many of each, and whose
            long iotlb = ib.invs().stream().filter(i -> i.domain() != null).count();
            b.append(" (").append(iotlb).append(" IOTLB, ").append(ib.invs().size() - iotlb).append(" ATC");
            Payloads.domains(p).forEach(d -> b.append(" ").append(shortId(d)));
            Payloads.rids(p).forEach(r -> b.append(" ").append(r));
            b.append(')');
        }
        if (e.correlationId() != null && (p instanceof SyncRequest || p instanceof Completion)) {
            b.append(" corr=").append(e.correlationId(), 0, Math.min(8, e.correlationId().length()));
        }
        return b.toString();
    }

    /** Context ids key the contexts topic: 8 characters say enough in a timeline (the JSON has them whole). */
    static String shortKey(String key) {
        return key.length() > 12 ? key.substring(0, 8) : key;
    }

    /** {@code 6de1a2b3-…/3} → {@code 6de1a2b3/3}: the context prefix is long and repeats on every line. */
    static String shortId(String qualified) {
        int slash = qualified.lastIndexOf('/');
        if (slash <= 8) {
            return qualified;
        }
        return qualified.substring(0, 8) + qualified.substring(slash);
    }
}
