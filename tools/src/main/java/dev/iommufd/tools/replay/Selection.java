package dev.iommufd.tools.replay;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The filters of replay ({@code --context --device --domain --iova-range --correlation}), all of
 * which must hold. An event matches a criterion through its envelope or payload: the context of the
 * envelope or of any {@code <context>/<id>} it names; the device's own events and those of the
 * domains it was attached to in the stream (and for a domain, the events of devices attached to
 * it); an address range overlapping {@code [iovaStart, iovaEnd)} (events without addresses, like
 * ATTACH or DOMAIN_CREATE, pass it, so the setting of the range stays visible).
 * <p>SYNC and COMPLETION carry no device, domain or range: a SYNC is kept when it matches directly
 * or (without a correlation filter) when it is the first sync of its queue after a kept command —
 * the one that completes it; a COMPLETION or DIRTY_REPORT is kept with its request.
 * DMA probes are kept when their device and address pass (for a context or domain: a device attached to it in the stream).
 */
public record Selection(String context, String rid, String domain, Long iovaStart, Long iovaEnd, String correlation) {
    public static final Selection ALL = new Selection(null, null, null, null, null, null);

    public Selection {
        if ((iovaStart == null) != (iovaEnd == null)) {
            throw new IllegalArgumentException("an IOVA range needs a start and an end");
        }
        if (iovaStart != null && Long.compareUnsigned(iovaStart, iovaEnd) >= 0) {
            throw new IllegalArgumentException("IOVA range end must be above its start");
        }
    }

    /** Parses {@code START-END} (hex {@code 0x…} or decimal, END exclusive). */
    public static long[] parseRange(String text) {
        int dash = text.indexOf('-');
        if (dash < 1) {
            throw new IllegalArgumentException("IOVA range must be START-END, not " + text);
        }
        return new long[] {dev.iommufd.contract.api.U64.parse(text.substring(0, dash)).bits(),
                dev.iommufd.contract.api.U64.parse(text.substring(dash + 1)).bits()};
    }

    public boolean isAll() {
        return equals(ALL);
    }

    public List<StreamItem> apply(List<? extends StreamItem> stream) {
        if (isAll()) {
            return List.copyOf(stream);
        }
        // devices attached to the selected domain and domains the selected device was attached to, over the whole stream
        Set<String> ridDomains = new HashSet<>();
        Set<String> domainRids = new HashSet<>();
        Set<String> contextRids = new HashSet<>();
        for (StreamItem i : stream) {
            if (i instanceof Recorded r && r.event().payload() instanceof AttachDevice a && a.domain() != null) {
                if (Payloads.contextOf(a.domain()).equals(context)) {
                    contextRids.add(a.rid());
                }
                if (a.rid().equals(rid)) {
                    ridDomains.add(a.domain());
                }
                if (a.domain().equals(domain)) {
                    domainRids.add(a.rid());
                }
            }
        }
        List<StreamItem> out = new ArrayList<>();
        Set<String> uncovered = new HashSet<>(); // source+key with a kept command not yet followed by a sync
        Set<String> keptRequests = new HashSet<>(); // correlation ids of kept SYNC / READ_DIRTY
        for (StreamItem i : stream) {
            if (i instanceof DmaProbe d) {
                if ((context == null || contextRids.contains(d.rid())) && correlation == null && (rid == null || rid.equals(d.rid()))
                        && (domain == null || domainRids.contains(d.rid()))
                        && (iovaStart == null || new Payloads.Range(d.iova(), d.length()).overlaps(iovaStart, iovaEnd))) {
                    out.add(d);
                }
                continue;
            }
            Recorded r = (Recorded) i;
            EventEnvelope e = r.event();
            EventPayload p = e.payload();
            String queue = e.source() + '\u0000' + e.key();
            boolean keep;
            if (p instanceof Completion || p instanceof DirtyReport) {
                keep = direct(e, ridDomains, domainRids) || (e.correlationId() != null && keptRequests.contains(e.correlationId()));
            } else if (p instanceof SyncRequest) {
                keep = direct(e, ridDomains, domainRids) || (correlation == null && uncovered.contains(queue)
                        && (context == null || e.contextId() == null || context.equals(e.contextId())));
                uncovered.remove(queue);
            } else {
                keep = direct(e, ridDomains, domainRids);
                if (keep && Topics.HW_COMMANDS.equals(r.topic())) {
                    uncovered.add(queue);
                }
            }
            if (keep) {
                out.add(r);
                if (e.correlationId() != null && Topics.HW_COMMANDS.equals(r.topic())) {
                    keptRequests.add(e.correlationId());
                }
            }
        }
        return out;
    }

    private boolean direct(EventEnvelope e, Set<String> ridDomains, Set<String> domainRids) {
        EventPayload p = e.payload();
        if (correlation != null && !correlation.equals(e.correlationId())) {
            return false;
        }
        if (context != null && !context.equals(e.contextId()) && !Payloads.contexts(p).contains(context)) {
            return false;
        }
        List<String> domains = Payloads.domains(p);
        List<String> rids = Payloads.rids(p);
        if (rid != null && !rids.contains(rid) && domains.stream().noneMatch(ridDomains::contains)) {
            return false;
        }
        if (domain != null && !domains.contains(domain) && rids.stream().noneMatch(domainRids::contains)) {
            return false;
        }
        if (iovaStart != null) {
            List<Payloads.Range> ranges = Payloads.ranges(p);
            boolean addressless = ranges.isEmpty() && !(p instanceof SyncRequest || p instanceof Completion || p instanceof DirtyReport);
            return addressless || ranges.stream().anyMatch(r -> r.overlaps(iovaStart, iovaEnd));
        }
        return true;
    }
}
