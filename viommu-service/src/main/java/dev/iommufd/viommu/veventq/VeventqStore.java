package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.viommu.veventq.EventRing.Entry;
import dev.iommufd.viommu.veventq.EventRing.VEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * vEVENTQ contents in PostgreSQL (V4): every report and read of a queue runs in one transaction
 * holding the queue row's lock, loads the {@link EventRing} state from it, applies EventRing's
 * decision to the entries and stores the new state. A hardware event is applied at most once: its
 * envelope's (source, key) sequence mark advances in the same transaction.
 */
@ApplicationScoped
public class VeventqStore {
    private static final String TYPE = VeventqResource.VeventqType.ARM_SMMUV3.name();
    private static final String STATE = "id, depth, events, next_sequence, EXISTS (SELECT 1 FROM viommu.veventq_entries m"
            + " WHERE m.context_id = q.context_id AND m.veventq_id = q.id AND m.lost_events) AS marker";

    @Inject
    Pool pool;

    /** What became of a hardware event. */
    public enum Result { QUEUED, LOST, DUPLICATE, NO_VDEVICE, NOT_NESTED, STAGE2, NO_VEVENTQ }

    /** {@code ctx}/{@code queue}: the queue it went to (QUEUED, LOST), else null. */
    public record Outcome(Result result, String ctx, Integer queue) {
        static Outcome of(Result r) {
            return new Outcome(r, null, null);
        }
    }

    /**
     * Routes {@code e} (physical SID + the envelope's context → vdevice → its vIOMMU's ARM_SMMUV3
     * queue) and reports it there with the vSID in evt[0].
     */
    public Uni<Outcome> report(EventEnvelope env, HwEvent e) {
        return pool.withTransaction(c -> firstTime(c, env).flatMap(fresh -> {
            if (!fresh) {
                return Uni.createFrom().item(Outcome.of(Result.DUPLICATE));
            }
            // the envelope names the context of the domain the device was attached to (a device is bound in one context)
            return c.preparedQuery("SELECT context_id, viommu_id, virt_id FROM viommu.vdevices"
                            + " WHERE iommu = $1 AND sid = $2 AND ($3::text IS NULL OR context_id = $3) LIMIT 1")
                    .execute(Tuple.of(e.iommu(), e.sid(), env.contextId()))
                    .flatMap(rs -> {
                        if (rs.size() == 0) {
                            return Uni.createFrom().item(Outcome.of(Result.NO_VDEVICE));
                        }
                        Row vd = rs.iterator().next();
                        String ctx = vd.getString("context_id");
                        long virtId = vd.getLong("virt_id");
                        if (stage2(e)) {
                            return Uni.createFrom().item(Outcome.of(Result.STAGE2));
                        }
                        return nestedOfViommu(c, ctx, e.domain(), vd.getInteger("viommu_id")).flatMap(nested -> !nested
                                ? Uni.createFrom().item(Outcome.of(Result.NOT_NESTED))
                                : c.preparedQuery("SELECT " + STATE + " FROM viommu.veventqs q"
                                        + " WHERE context_id = $1 AND viommu_id = $2 AND type = $3 FOR UPDATE")
                                .execute(Tuple.of(ctx, vd.getInteger("viommu_id"), TYPE))
                                .flatMap(qs -> {
                                    if (qs.size() == 0) {
                                        return Uni.createFrom().item(Outcome.of(Result.NO_VEVENTQ));
                                    }
                                    Row q = qs.iterator().next();
                                    VEvent ev = new VEvent(virtId, e.type(), e.code(), e.addr(), withVsid(e.evt(), virtId));
                                    return apply(c, ctx, q.getInteger("id"), state(q), ev);
                                }));
                    });
        }));
    }

    /** Stage-2 faults (SMMUv3 event record word 1, bit 39 "S2") are the host's, never the guest's. */
    static boolean stage2(HwEvent e) {
        return e.evt() != null && e.evt().size() > 1 && (e.evt().get(1) >>> 39 & 1) == 1;
    }

    /**
     * As the kernel's {@code master->vmaster}: only a device attached to a nested HWPT of the
     * vdevice's vIOMMU reports to the guest. {@code domain} is what hw-sim had it attached to
     * ({@code <ctx>/<hwpt id>}).
     */
    private static Uni<Boolean> nestedOfViommu(SqlConnection c, String ctx, String domain, int viommuId) {
        if (domain == null || !domain.startsWith(ctx + "/")) {
            return Uni.createFrom().item(false);
        }
        int id;
        try {
            id = Integer.parseInt(domain.substring(ctx.length() + 1));
        } catch (NumberFormatException notOurs) {
            return Uni.createFrom().item(false);
        }
        return c.preparedQuery("SELECT 1 FROM viommu.nested_hwpts WHERE context_id = $1 AND id = $2 AND viommu_id = $3")
                .execute(Tuple.of(ctx, id, viommuId)).map(r -> r.size() > 0);
    }

    private static Uni<Outcome> apply(SqlConnection c, String ctx, int id, EventRing ring, VEvent ev) {
        EventRing.Report r = ring.report();
        Uni<?> dropped = !r.dropTailMarker() ? Uni.createFrom().voidItem()
                : c.preparedQuery("DELETE FROM viommu.veventq_entries WHERE context_id = $1 AND veventq_id = $2 AND lost_events")
                        .execute(Tuple.of(ctx, id));
        return dropped
                .flatMap(x -> c.preparedQuery("INSERT INTO viommu.veventq_entries"
                                + " (context_id, veventq_id, sequence, lost_events, virt_id, type, code, addr, evt)"
                                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .execute(Tuple.from(r.lost()
                                ? Arrays.asList(ctx, id, r.sequence(), true, null, null, null, null, null)
                                : Arrays.asList(ctx, id, r.sequence(), false, ev.virtId(), ev.type(), ev.code(), ev.addr(),
                                        ev.evt().toArray(Long[]::new)))))
                .flatMap(x -> store(c, ctx, id, r.after()))
                .replaceWith(new Outcome(r.lost() ? Result.LOST : Result.QUEUED, ctx, id));
    }

    /** Removes and returns up to {@code max} entries from the head (never blocks); ENOENT without the queue. */
    public Uni<List<Entry>> consume(String ctx, int id, int max) {
        return pool.withTransaction(c -> c.preparedQuery("SELECT " + STATE + " FROM viommu.veventqs q"
                        + " WHERE context_id = $1 AND id = $2 FOR UPDATE").execute(Tuple.of(ctx, id))
                .flatMap(qs -> {
                    if (qs.size() == 0) {
                        throw ErrnoException.of(Errno.ENOENT, "no vEVENTQ %d", id);
                    }
                    EventRing ring = state(qs.iterator().next());
                    return c.preparedQuery("DELETE FROM viommu.veventq_entries WHERE pos IN (SELECT pos FROM viommu.veventq_entries"
                                    + " WHERE context_id = $1 AND veventq_id = $2 ORDER BY pos LIMIT $3)"
                                    + " RETURNING pos, sequence, lost_events, virt_id, type, code, addr, evt")
                            .execute(Tuple.of(ctx, id, (long) max))
                            .flatMap(rs -> {
                                List<Row> rows = new ArrayList<>();
                                rs.forEach(rows::add);
                                rows.sort(Comparator.comparingLong(r -> r.getLong("pos")));   // RETURNING has no order
                                List<Entry> taken = rows.stream().map(VeventqStore::entry).toList();
                                if (taken.isEmpty()) {
                                    return Uni.createFrom().item(taken);
                                }
                                return store(c, ctx, id, ring.consumed(taken)).replaceWith(taken);
                            });
                }));
    }

    public Uni<Boolean> exists(String ctx, int id) {
        return pool.preparedQuery("SELECT 1 FROM viommu.veventqs WHERE context_id = $1 AND id = $2")
                .execute(Tuple.of(ctx, id)).map(rs -> rs.size() > 0);
    }

    /** Of the queues {@code ctx/id} in {@code keys}: those that exist and hold an entry, and those that are gone. */
    public Uni<Set<String>> readyOrGone(Collection<String> contexts, Collection<String> keys) {
        return pool.preparedQuery("SELECT context_id || '/' || id AS k, EXISTS (SELECT 1 FROM viommu.veventq_entries e"
                        + " WHERE e.context_id = q.context_id AND e.veventq_id = q.id) AS ready"
                        + " FROM viommu.veventqs q WHERE context_id = ANY($1)")
                .execute(Tuple.of(contexts.toArray(String[]::new)))
                .map(rs -> {
                    Set<String> existing = new HashSet<>();
                    Set<String> out = new HashSet<>();
                    for (Row r : rs) {
                        existing.add(r.getString("k"));
                        if (r.getBoolean("ready")) {
                            out.add(r.getString("k"));
                        }
                    }
                    keys.stream().filter(k -> !existing.contains(k)).forEach(out::add);
                    return out;
                });
    }

    private static Uni<Void> store(SqlConnection c, String ctx, int id, EventRing after) {
        return c.preparedQuery("UPDATE viommu.veventqs SET events = $3, next_sequence = $4 WHERE context_id = $1 AND id = $2")
                .execute(Tuple.of(ctx, id, after.events(), after.nextSequence())).replaceWithVoid();
    }

    private static EventRing state(Row q) {
        return new EventRing(q.getInteger("depth"), q.getInteger("events"), q.getInteger("next_sequence"), q.getBoolean("marker"));
    }

    private static Entry entry(Row r) {
        int seq = r.getInteger("sequence");
        if (r.getBoolean("lost_events")) {
            return Entry.marker(seq);
        }
        return new Entry(seq, new VEvent(r.getLong("virt_id"), r.getString("type"), r.getInteger("code"), r.getLong("addr"),
                List.of(r.getArrayOfLongs("evt"))));
    }

    /**
     * Idempotency across restarts and replicas: true when {@code e}'s sequence is above the last one
     * applied for its (source, key), which it then becomes (in the caller's transaction). The
     * contract's {@code SequenceTracker} is the in-memory form of the same rule.
     */
    static Uni<Boolean> firstTime(SqlConnection c, EventEnvelope e) {
        return c.preparedQuery("INSERT INTO viommu.applied_hw_events (source, kafka_key, last_sequence) VALUES ($1, $2, $3)"
                        + " ON CONFLICT (source, kafka_key) DO UPDATE SET last_sequence = EXCLUDED.last_sequence"
                        + " WHERE applied_hw_events.last_sequence < EXCLUDED.last_sequence RETURNING 1")
                .execute(Tuple.of(e.source(), e.key(), e.sequence())).map(rs -> rs.size() > 0);
    }

    /** evt[0] carries the StreamID in bits 63:32: the guest sees its vSID there. */
    static List<Long> withVsid(List<Long> evt, long vsid) {
        List<Long> out = new ArrayList<>(evt == null ? List.of() : evt);
        if (!out.isEmpty()) {
            out.set(0, (out.get(0) & 0xffffffffL) | (vsid << 32));
        }
        return out;
    }
}
