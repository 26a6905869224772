package dev.iommufd.viommu.invalidate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.SmmuCommands;
import dev.iommufd.contract.events.SmmuCommands.Cmd;
import dev.iommufd.viommu.hw.HwQueue;
import dev.iommufd.viommu.ioas.IoasNesting;
import dev.iommufd.viommu.ioas.Lifecycle;
import dev.iommufd.viommu.nested.NestedHwpt;
import dev.iommufd.viommu.viommu.Viommu;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * User cache invalidation (IOMMU_HWPT_INVALIDATE): VTD_S1 entries on a nested HWPT, ARM_SMMUV3
 * commands on a vIOMMU. Entries are decoded in order up to the first bad one (plain Java: {@link
 * VtdInvalidation}, {@link SmmuCommandTranslator}); the good prefix goes to hw-sim through the
 * per-queue {@link InvalidationBatcher} with a sync behind it, and the call answers once hw-sim
 * completed it: {@code entryNum} = that prefix, with the bad entry's errno if there was one.
 */
@ApplicationScoped
public class Invalidations {
    @Inject
    HwQueue hw;

    @Inject
    Lifecycle life;

    @Inject
    MeterRegistry meters;

    private DistributionSummary batchEntries;
    private Timer latency;
    private InvalidationBatcher<EventPayload> batcher;

    @PostConstruct
    void init() {
        batchEntries = DistributionSummary.builder("iommufd.viommu.invalidation.batch.entries")
                .description("invalidation entries per Kafka batch (several client calls may share one)")
                .publishPercentileHistogram().register(meters);
        latency = Timer.builder("iommufd.viommu.invalidation.latency")
                .description("user invalidation calls, request to hw-sim's completion")
                .publishPercentileHistogram().register(meters);
        batcher = new InvalidationBatcher<>((key, items) -> {
            List<EventPayload> records = merge(items);
            batchEntries.record(records.stream().mapToInt(Invalidations::entries).sum());
            HwQueue.Sent s = hw.send(key, null, records);
            return new InvalidationBatcher.Dispatch(s.published(), s.completed());
        }, n -> { });
    }

    /**
     * Most descriptors (INV_BATCH) or commands (SMMU_CMDS) in one record: 4096 × ~100 B of JSON stays well
     * under the producer's 1 MiB {@code max.request.size} however many calls share a batch.
     */
    static final int MAX_PER_RECORD = 4096;

    /**
     * Consecutive SMMU_CMDS of one vIOMMU become one record, consecutive INV_BATCHes of one IOMMU one
     * record (order kept, at most {@link #MAX_PER_RECORD} each); the rest goes as it is.
     */
    static List<EventPayload> merge(List<EventPayload> items) {
        List<EventPayload> out = new ArrayList<>();
        for (EventPayload p : items) {
            EventPayload last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (p instanceof SmmuCommands c && last instanceof SmmuCommands l && l.viommu().equals(c.viommu())
                    && l.cmds().size() + c.cmds().size() <= MAX_PER_RECORD) {
                List<Cmd> cmds = new ArrayList<>(l.cmds());
                cmds.addAll(c.cmds());
                out.set(out.size() - 1, new SmmuCommands(l.iommu(), l.viommu(), cmds));
            } else if (p instanceof InvalidateBatch b && last instanceof InvalidateBatch l && l.iommu().equals(b.iommu())
                    && l.invs().size() + b.invs().size() <= MAX_PER_RECORD) {
                List<InvalidateBatch.Inv> invs = new ArrayList<>(l.invs());
                invs.addAll(b.invs());
                out.set(out.size() - 1, new InvalidateBatch(l.iommu(), invs));
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /** Entries a record carries (the batch-size metric counts descriptors / commands, not records). */
    static int entries(EventPayload p) {
        return p instanceof SmmuCommands c ? c.cmds().size() : p instanceof InvalidateBatch b ? b.invs().size() : 1;
    }

    /**
     * A VTD_S1 array as hardware descriptors: per entry the IOTLB of the nested domain, then the ATC
     * of each ATS device attached to it; one INV_BATCH record (INV_IOTLB / INV_ATC in order) instead of
     * a record per descriptor. Empty when no entry flushes anything.
     */
    static List<EventPayload> vtdDescriptors(String iommu, String domain, List<VtdInvalidation.Range> ranges,
                                             List<IoasNesting.AttachedDevice> devices) {
        List<InvalidateBatch.Inv> invs = new ArrayList<>();
        for (VtdInvalidation.Range r : ranges) {
            if (!r.all() && r.length() == 0) {
                continue;
            }
            long iova = r.all() ? 0 : r.addr();
            long length = r.all() ? 0 : r.length();
            invs.add(InvalidateBatch.Inv.iotlb(domain, iova, length));
            for (IoasNesting.AttachedDevice d : devices) {
                if (d.ats()) {
                    invs.add(InvalidateBatch.Inv.atc(d.rid(), iova, length));
                }
            }
        }
        List<EventPayload> out = new ArrayList<>();
        for (int i = 0; i < invs.size(); i += MAX_PER_RECORD) {
            out.add(new InvalidateBatch(iommu, List.copyOf(invs.subList(i, Math.min(invs.size(), i + MAX_PER_RECORD)))));
        }
        return out;
    }

    record Request(String dataType, JsonNode entries) {}

    /** Top-level body: {"dataType","entries"}; its errors happen before any entry (entryNum 0). */
    static Request request(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw failed(ErrnoException.of(Errno.EINVAL, "missing JSON body"), 0);
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("dataType") && !f.equals("entries")) {
                throw failed(ErrnoException.of(Errno.E2BIG, "unknown field '%s'", f), 0);
            }
        }
        JsonNode type = body.get("dataType");
        JsonNode entries = body.get("entries");
        if (type == null || !type.isTextual() || entries == null || !entries.isArray()) {
            throw failed(ErrnoException.of(Errno.EINVAL, "'dataType' (string) and 'entries' (array) are required"), 0);
        }
        return new Request(type.asText(), entries);
    }

    static ErrnoException failed(ErrnoException e, int entryNum) {
        return new ErrnoException(e.errno(), e.getMessage(), Map.of("entryNum", entryNum));
    }

    /** Every failure before entries are looked at carries entryNum 0. */
    private static <T> Uni<T> withEntryNum0(Uni<T> u) {
        return u.onFailure(t -> t instanceof ErrnoException e && !e.extra().containsKey("entryNum"))
                .transform(t -> failed((ErrnoException) t, 0));
    }

    /** The target is not of the URL's kind: EINVAL if the id names another object, else ENOENT. */
    private <T> Uni<T> notTarget(String ctx, int id, String what) {
        return life.remote(() -> life.ioas().object(ctx, id)).map(o -> {
            throw ErrnoException.of(Errno.EINVAL, "object %d is a %s, not %s", id, o.type(), what);
        });
    }

    public Uni<Map<String, Integer>> vtd(String ctx, int id, JsonNode body) {
        long start = System.nanoTime();
        Request req = request(body);
        return withEntryNum0(Panache.withSession(() -> NestedHwpt.find(ctx, id)).flatMap(n -> {
            if (n == null) {
                return notTarget(ctx, id, "a nested HWPT");
            }
            if (!n.dataType.equals("VTD_S1")) {
                throw ErrnoException.of(Errno.EOPNOTSUPP, "an ARM_SMMUV3 nested HWPT takes no invalidation (use its vIOMMU)");
            }
            if (!req.dataType().equals("VTD_S1")) {
                throw ErrnoException.of(Errno.EINVAL, "dataType %s does not match nested HWPT %d (VTD_S1)", req.dataType(), id);
            }
            if (req.entries().isEmpty()) {
                return Uni.createFrom().item(Map.of("entryNum", 0));
            }
            Plan<VtdInvalidation.Range> plan = VtdInvalidation.decode(req.entries());
            if (plan.items().isEmpty()) {
                throw failed(plan.stop(), 0);
            }
            return attached(ctx, id)
                    .flatMap(devs -> finish(n.iommu, vtdDescriptors(n.iommu, n.domain(), plan.items(), devs.devices()), plan, start));
        }));
    }

    /** Attached devices of nested HWPTs, read from ioas-service, shared by concurrent calls of one HWPT (SharedRead says why that is exact). */
    private final SharedRead<String, IoasNesting.AttachedDevices> attachedReads = new SharedRead<>();

    /**
     * The devices attached to the nested HWPT, as read after this call started: a device attached before
     * that is in the list, so its ATC is invalidated; one attached later had its ATC dropped by its ATTACH,
     * which hw-sim applies in queue order (as before, with a read per call).
     */
    private Uni<IoasNesting.AttachedDevices> attached(String ctx, int id) {
        return Uni.createFrom().completionStage(() -> attachedReads.get(ctx + "/" + id,
                () -> life.remote(() -> life.ioas().attached(ctx, id)).subscribeAsCompletionStage()));
    }

    public Uni<Map<String, Integer>> smmu(String ctx, int id, JsonNode body) {
        long start = System.nanoTime();
        Request req = request(body);
        return withEntryNum0(target(ctx, id)
                .flatMap(t -> {
                    if (t.viommu() == null) {
                        return notTarget(ctx, id, "a vIOMMU");
                    }
                    if (!t.viommu().type.equals("ARM_SMMUV3")) {
                        throw ErrnoException.of(Errno.EOPNOTSUPP, "a %s vIOMMU takes no invalidation array", t.viommu().type);
                    }
                    if (!req.dataType().equals("ARM_SMMUV3")) {
                        throw ErrnoException.of(Errno.EINVAL, "dataType %s does not match vIOMMU %d (ARM_SMMUV3)", req.dataType(), id);
                    }
                    if (req.entries().isEmpty()) {
                        return Uni.createFrom().item(Map.of("entryNum", 0));
                    }
                    Plan<Cmd> plan = SmmuCommandTranslator.decode(req.entries(), vsid -> t.sids().get(vsid));
                    if (plan.items().isEmpty()) {
                        throw failed(plan.stop(), 0);
                    }
                    return finish(t.viommu().iommu, List.of(new SmmuCommands(t.viommu().iommu, t.viommu().hwName(), plan.items())), plan, start);
                }));
    }

    record Target(Viommu viommu, Map<Long, Integer> sids) {}

    /** The vIOMMU and its vdevices' vSID → SID in one query (a row per vdevice, one with nulls when it has none). */
    static final String TARGET = "select v, d.virtId, d.sid from Viommu v left join Vdevice d on d.contextId = v.contextId and d.viommuId = v.id"
            + " where v.contextId = ?1 and v.id = ?2";

    private static Uni<Target> target(String ctx, int id) {
        return Panache.withSession(() -> Panache.getSession().flatMap(s -> s.createSelectionQuery(TARGET, Object[].class)
                .setParameter(1, ctx).setParameter(2, id).getResultList())).map(rows -> {
                    if (rows.isEmpty()) {
                        return new Target(null, Map.of());
                    }
                    Map<Long, Integer> sids = new HashMap<>();
                    for (Object[] r : rows) {
                        if (r[1] != null) {
                            sids.put((Long) r[1], (Integer) r[2]);
                        }
                    }
                    return new Target((Viommu) rows.get(0)[0], sids);
                });
    }

    private Uni<Map<String, Integer>> finish(String iommu, List<EventPayload> cmds, Plan<?> plan, long start) {
        int applied = plan.items().size();
        return HwQueue.eio(Uni.createFrom().completionStage(() -> batcher.submit(iommu, cmds)))
                .onFailure().transform(t -> failed((ErrnoException) t, 0))
                .map(ignored -> {
                    latency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                    if (plan.stop() != null) {
                        throw failed(plan.stop(), applied);
                    }
                    return Map.of("entryNum", applied);
                });
    }
}
