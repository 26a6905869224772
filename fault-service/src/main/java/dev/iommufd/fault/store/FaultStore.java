package dev.iommufd.fault.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.fault.core.AutoInvalid;
import dev.iommufd.fault.core.Fault;
import dev.iommufd.fault.core.GroupKey;
import dev.iommufd.fault.core.ResponseBatch;
import dev.iommufd.fault.core.ResponseCode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The fault queues' page-request groups in PostgreSQL (schema {@code fault}). Every change runs in
 * one transaction holding the queue's row lock, so assembly, reads, responses and auto-INVALID of a
 * queue are serialised; a group is deleted in the transaction that queues its one response in the
 * outbox, so it is answered exactly once and the answer survives a crash.
 */
@ApplicationScoped
public class FaultStore {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<Fault>> FAULTS = new TypeReference<>() {};
    private static final String GROUP_COLUMNS = "id, context_id, fault_id, iommu, rid, pasid, grpid, faults, cookie, delivered_at";

    @Inject
    Pool pool;

    @Inject
    FaultMetrics metrics;

    /** A group awaiting (or about to get) its response. */
    record Pending(long id, String contextId, int faultId, String iommu, String rid, Integer pasid, int grpid,
                   String faults, Integer cookie, OffsetDateTime deliveredAt) {
        static Pending of(Row r) {
            return new Pending(r.getLong("id"), r.getString("context_id"), r.getInteger("fault_id"), r.getString("iommu"),
                    r.getString("rid"), r.getInteger("pasid"), r.getInteger("grpid"), r.getString("faults"),
                    r.getInteger("cookie"), r.getOffsetDateTime("delivered_at"));
        }
    }

    /** What a page request did: {@code delivered} a group, queued a response, or nothing. */
    public record Arrival(boolean delivered, boolean answered) {
        static final Arrival NOTHING = new Arrival(false, false);
    }

    // ---------------------------------------------------------------- queues

    /** True when the queue exists (a cheap check before asking ioas-service about the requester). */
    public Uni<Boolean> queueExists(String ctx, int faultId) {
        return pool.preparedQuery("SELECT 1 FROM fault.fault_queues WHERE context_id = $1 AND id = $2")
                .execute(Tuple.of(ctx, faultId)).map(rs -> rs.size() > 0);
    }

    /** The queue's next cookie with its row locked, or null when there is no such queue. */
    private static Uni<Integer> lockQueue(SqlConnection c, String ctx, int faultId) {
        return c.preparedQuery("SELECT next_cookie FROM fault.fault_queues WHERE context_id = $1 AND id = $2 FOR UPDATE")
                .execute(Tuple.of(ctx, faultId))
                .map(rs -> rs.size() == 0 ? null : rs.iterator().next().getInteger(0));
    }

    private static Uni<Integer> lockExistingQueue(SqlConnection c, String ctx, int faultId) {
        return lockQueue(c, ctx, faultId).map(next -> {
            if (next == null) {
                throw ErrnoException.of(Errno.ENOENT, "no fault queue %d", faultId);
            }
            return next;
        });
    }

    // ---------------------------------------------------------------- page requests

    /**
     * Applies one page request of {@code e} (skipped when its sequence is not above the last one
     * applied for its source and key: a redelivery). {@code devId} is the requester's DEVICE id in
     * the context, or null when it has none: the group is answered INVALID at its last request, as
     * is a group for a queue this deployment destroyed. A request for a queue never known here is
     * dropped: it is another deployment's (shared broker) or an old run's record.
     */
    public Uni<Arrival> onRequest(EventEnvelope e, PageRequest r, Integer devId) {
        GroupKey key = GroupKey.of(e.contextId(), r);
        return pool.withTransaction(c -> firstTime(c, e).flatMap(fresh -> {
            if (!fresh) {
                return Uni.createFrom().item(Arrival.NOTHING);
            }
            return lockQueue(c, key.contextId(), key.faultId()).flatMap(next -> {
                if (next == null || devId == null) {
                    AutoInvalid why = next == null ? AutoInvalid.NO_QUEUE : AutoInvalid.NO_DEVICE;
                    Uni<Boolean> ours = next != null ? Uni.createFrom().item(true)
                            : c.preparedQuery("SELECT 1 FROM fault.destroyed_queues WHERE context_id = $1 AND id = $2")
                                    .execute(Tuple.of(key.contextId(), key.faultId())).map(rs -> rs.size() > 0);
                    return deletePartial(c, key).flatMap(v -> ours).flatMap(answer -> r.last() && answer
                            ? queueResponse(c, key.contextId(), r.iommu(), r.rid(), r.pasid(), r.grpid(), ResponseCode.INVALID)
                                    .invoke(() -> metrics.autoInvalid(why, 1)).replaceWith(new Arrival(false, true))
                            : Uni.createFrom().item(Arrival.NOTHING));
                }
                return assemble(c, key, r, Fault.of(r, devId), devId, next);
            });
        }));
    }

    private Uni<Arrival> assemble(SqlConnection c, GroupKey key, PageRequest r, Fault fault, int devId, int nextCookie) {
        // the last request makes the group deliverable with the queue's next cookie
        boolean last = r.last();
        String state = last ? "DELIVERED" : "PARTIAL";
        Integer cookie = last ? nextCookie : null;
        return c.preparedQuery("SELECT id, faults FROM fault.fault_groups WHERE context_id = $1 AND fault_id = $2 AND rid = $3"
                        + " AND pasid IS NOT DISTINCT FROM $4 AND grpid = $5 AND state = 'PARTIAL' FOR UPDATE")
                .execute(Tuple.of(key.contextId(), key.faultId(), key.rid(), key.pasid(), key.grpid()))
                .flatMap(rs -> {
                    Uni<?> stored;
                    if (rs.size() == 0) {
                        // one statement for a whole single-page group (what a DMA miss sends)
                        stored = c.preparedQuery("INSERT INTO fault.fault_groups (context_id, fault_id, iommu, rid, pasid, grpid, dev_id, faults,"
                                        + " state, cookie, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                                        + " CASE WHEN $11 THEN clock_timestamp() END)")
                                .execute(Tuple.from(java.util.Arrays.asList(key.contextId(), key.faultId(), r.iommu(), key.rid(), key.pasid(),
                                        key.grpid(), devId, write(List.of(fault)), state, cookie, last)));
                    } else {
                        Row row = rs.iterator().next();
                        List<Fault> faults = new ArrayList<>(read(row.getString("faults")));
                        faults.add(fault);
                        stored = c.preparedQuery("UPDATE fault.fault_groups SET faults = $2, state = $3, cookie = $4,"
                                        + " delivered_at = CASE WHEN $5 THEN clock_timestamp() END WHERE id = $1")
                                .execute(Tuple.of(row.getLong("id"), write(faults), state, cookie, last));
                    }
                    if (!last) {
                        return stored.replaceWith(Arrival.NOTHING);
                    }
                    return stored.flatMap(v -> c.preparedQuery("UPDATE fault.fault_queues SET next_cookie = next_cookie + 1"
                                    + " WHERE context_id = $1 AND id = $2").execute(Tuple.of(key.contextId(), key.faultId())))
                            .replaceWith(new Arrival(true, false));
                });
    }

    /**
     * Idempotency across restarts: true when {@code e}'s sequence is above the last one applied for
     * its (source, key), which it then becomes (in the caller's transaction).
     */
    static Uni<Boolean> firstTime(SqlConnection c, EventEnvelope e) {
        return c.preparedQuery("INSERT INTO fault.consumed_sequences (source, kafka_key, last_sequence) VALUES ($1, $2, $3)"
                        + " ON CONFLICT (source, kafka_key) DO UPDATE SET last_sequence = EXCLUDED.last_sequence"
                        + " WHERE consumed_sequences.last_sequence < EXCLUDED.last_sequence RETURNING 1")
                .execute(Tuple.of(e.source(), e.key(), e.sequence())).map(rs -> rs.size() > 0);
    }

    private static Uni<Void> deletePartial(SqlConnection c, GroupKey key) {
        return c.preparedQuery("DELETE FROM fault.fault_groups WHERE context_id = $1 AND fault_id = $2 AND rid = $3"
                        + " AND pasid IS NOT DISTINCT FROM $4 AND grpid = $5 AND state = 'PARTIAL'")
                .execute(Tuple.of(key.contextId(), key.faultId(), key.rid(), key.pasid(), key.grpid())).replaceWithVoid();
    }

    // ---------------------------------------------------------------- reading

    /** Consumes up to {@code max} delivered groups (all when null) in cookie order; they then await a response. */
    public Uni<List<Group>> consume(String ctx, int faultId, Integer max) {
        return pool.withTransaction(c -> lockExistingQueue(c, ctx, faultId)
                .flatMap(next -> c.preparedQuery("SELECT id, cookie, faults FROM fault.fault_groups"
                                + " WHERE context_id = $1 AND fault_id = $2 AND state = 'DELIVERED' ORDER BY cookie LIMIT $3 FOR UPDATE")
                        .execute(Tuple.of(ctx, faultId, max == null ? Long.MAX_VALUE : (long) max)))
                .flatMap(rs -> {
                    List<Group> groups = new ArrayList<>();
                    List<Long> ids = new ArrayList<>();
                    for (Row r : rs) {
                        ids.add(r.getLong("id"));
                        groups.add(new Group(r.getInteger("cookie"), read(r.getString("faults"))));
                    }
                    if (ids.isEmpty()) {
                        return Uni.createFrom().item(groups);
                    }
                    return c.preparedQuery("UPDATE fault.fault_groups SET state = 'CONSUMED' WHERE id = ANY($1)")
                            .execute(Tuple.of(ids.toArray(Long[]::new))).replaceWith(groups);
                }));
    }

    // ---------------------------------------------------------------- responses

    /**
     * Applies the responses in order (iommufd write()): the accepted prefix is committed and its
     * PAGE_RESPONSEs queued; the outcome's error (EINVAL with {@code accepted}) is the caller's to throw.
     */
    public Uni<ResponseBatch.Outcome> respond(String ctx, int faultId, List<Long> cookies, List<String> codes) {
        return pool.withTransaction(c -> lockExistingQueue(c, ctx, faultId)
                .flatMap(next -> c.preparedQuery("SELECT " + GROUP_COLUMNS + " FROM fault.fault_groups"
                        + " WHERE context_id = $1 AND fault_id = $2 AND state = 'CONSUMED' FOR UPDATE").execute(Tuple.of(ctx, faultId)))
                .flatMap(rs -> {
                    java.util.Map<Integer, Pending> byCookie = new java.util.HashMap<>();
                    for (Row r : rs) {
                        Pending p = Pending.of(r);
                        byCookie.put(p.cookie(), p);
                    }
                    ResponseBatch.Outcome out = ResponseBatch.decide(cookies, codes, byCookie.keySet());
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    List<Pending> answered = new ArrayList<>();
                    for (ResponseBatch.Answer a : out.accepted()) {
                        Pending p = byCookie.get(a.cookie());
                        answered.add(p);
                        chain = chain.flatMap(v -> answer(c, p, a.code()));
                    }
                    return chain.invoke(() -> answered.forEach(p -> metrics.answered(p.deliveredAt()))).replaceWith(out);
                }));
    }

    // ---------------------------------------------------------------- auto-INVALID

    /** FAULT_DETACH: the device's groups in that queue (RID: pasid null) are answered INVALID; partial ones are dropped. */
    public Uni<Integer> detach(EventEnvelope e, String ctx, int faultId, String rid, Integer pasid) {
        return pool.withTransaction(c -> firstTime(c, e).flatMap(fresh -> !fresh ? Uni.createFrom().item(0)
                : lockQueue(c, ctx, faultId).flatMap(next -> invalidate(c, AutoInvalid.DETACH,
                        "context_id = $1 AND fault_id = $2 AND rid = $3 AND pasid IS NOT DISTINCT FROM $4",
                        Tuple.of(ctx, faultId, rid, pasid)))));
    }

    /**
     * Destroys a queue: ENOENT without it, EBUSY while a stream is open on it or while
     * {@code release} (ioas-service: a HWPT still refers to it) refuses; else every group awaiting a
     * response is answered INVALID and the queue goes.
     */
    public Uni<Integer> destroy(String ctx, int faultId, Duration streamLiveness, Supplier<Uni<Void>> release) {
        return pool.withTransaction(c -> lockExistingQueue(c, ctx, faultId)
                .flatMap(next -> c.preparedQuery("SELECT count(*) FROM fault.fault_streams WHERE context_id = $1 AND fault_id = $2"
                                + " AND heartbeat_at > clock_timestamp() - $3 * interval '1 millisecond'")
                        .execute(Tuple.of(ctx, faultId, streamLiveness.toMillis())))
                .flatMap(rs -> {
                    long streams = rs.iterator().next().getLong(0);
                    if (streams > 0) {
                        throw ErrnoException.of(Errno.EBUSY, "fault queue %d has %d open stream(s)", faultId, streams);
                    }
                    return release.get();
                })
                .flatMap(v -> invalidate(c, AutoInvalid.DESTROY, "context_id = $1 AND fault_id = $2", Tuple.of(ctx, faultId)))
                .call(() -> c.preparedQuery("DELETE FROM fault.fault_queues WHERE context_id = $1 AND id = $2").execute(Tuple.of(ctx, faultId)))
                .call(() -> c.preparedQuery("INSERT INTO fault.destroyed_queues (context_id, id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .execute(Tuple.of(ctx, faultId))));
    }

    /** CONTEXT_CLOSED: every group of the context awaiting a response is answered INVALID; nothing of the context stays. */
    public Uni<Integer> closeContext(String ctx) {
        return pool.withTransaction(c -> c.preparedQuery("SELECT id FROM fault.fault_queues WHERE context_id = $1 FOR UPDATE")
                .execute(Tuple.of(ctx))
                .flatMap(q -> invalidate(c, AutoInvalid.CONTEXT_CLOSED, "context_id = $1", Tuple.of(ctx)))
                .call(() -> c.preparedQuery("DELETE FROM fault.fault_queues WHERE context_id = $1").execute(Tuple.of(ctx)))
                .call(() -> c.preparedQuery("DELETE FROM fault.fault_streams WHERE context_id = $1").execute(Tuple.of(ctx)))
                .call(() -> c.preparedQuery("DELETE FROM fault.destroyed_queues WHERE context_id = $1").execute(Tuple.of(ctx)))
                .call(() -> c.preparedQuery("DELETE FROM fault.consumed_sequences WHERE kafka_key = $1").execute(Tuple.of(ctx))));
    }

    /** Groups delivered longer than {@code timeout} ago are answered INVALID (optional response timeout). */
    public Uni<Integer> expire(Duration timeout) {
        return pool.withTransaction(c -> c.preparedQuery("SELECT " + GROUP_COLUMNS + " FROM fault.fault_groups WHERE state <> 'PARTIAL'"
                        + " AND delivered_at <= clock_timestamp() - $1 * interval '1 microsecond' ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED")
                .execute(Tuple.of(timeout.toNanos() / 1000))
                .flatMap(rs -> answerAll(c, rs, AutoInvalid.TIMEOUT)));
    }

    /** Answers INVALID every delivered or consumed group matching {@code where}; drops partial ones. */
    private Uni<Integer> invalidate(SqlConnection c, AutoInvalid why, String where, Tuple args) {
        return c.preparedQuery("SELECT " + GROUP_COLUMNS + " FROM fault.fault_groups WHERE " + where + " AND state <> 'PARTIAL' ORDER BY id FOR UPDATE")
                .execute(args)
                .flatMap(rs -> answerAll(c, rs, why))
                .call(() -> c.preparedQuery("DELETE FROM fault.fault_groups WHERE " + where + " AND state = 'PARTIAL'").execute(args));
    }

    private Uni<Integer> answerAll(SqlConnection c, RowSet<Row> rs, AutoInvalid why) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        int n = 0;
        for (Row r : rs) {
            Pending p = Pending.of(r);
            chain = chain.flatMap(v -> answer(c, p, ResponseCode.INVALID));
            n++;
        }
        int count = n;
        return chain.invoke(() -> metrics.autoInvalid(why, count)).replaceWith(count);
    }

    /** The group's one response: queued in the outbox and the group deleted, in the caller's transaction. */
    private static Uni<Void> answer(SqlConnection c, Pending p, ResponseCode code) {
        return queueResponse(c, p.contextId(), p.iommu(), p.rid(), p.pasid(), p.grpid(), code)
                .flatMap(v -> c.preparedQuery("DELETE FROM fault.fault_groups WHERE id = $1").execute(Tuple.of(p.id())))
                .replaceWithVoid();
    }

    /** PAGE_RESPONSE to the hardware: with the PASID only when the group had one (PRG Response PASID Required). */
    private static Uni<Void> queueResponse(SqlConnection c, String ctx, String iommu, String rid, Integer pasid, int grpid, ResponseCode code) {
        String payload = EventJson.writePayload(new PageResponse(iommu, rid, pasid, grpid, code.name()));
        return c.preparedQuery("INSERT INTO fault.fault_outbox (kafka_key, context_id, payload) VALUES ($1, $2, $3)")
                .execute(Tuple.of(iommu, ctx, payload)).replaceWithVoid();
    }

    // ---------------------------------------------------------------- streams

    /** Registers an open stream on an existing queue (ENOENT otherwise), in one transaction with the check. */
    public Uni<Void> openStream(String streamId, String ctx, int faultId) {
        return pool.withTransaction(c -> lockExistingQueue(c, ctx, faultId)
                .flatMap(n -> c.preparedQuery("INSERT INTO fault.fault_streams (stream_id, context_id, fault_id) VALUES ($1, $2, $3)")
                        .execute(Tuple.of(streamId, ctx, faultId))).replaceWithVoid());
    }

    public Uni<Void> closeStream(String streamId) {
        return pool.preparedQuery("DELETE FROM fault.fault_streams WHERE stream_id = $1").execute(Tuple.of(streamId)).replaceWithVoid();
    }

    public Uni<Void> heartbeat(Set<String> streamIds) {
        if (streamIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("UPDATE fault.fault_streams SET heartbeat_at = clock_timestamp() WHERE stream_id = ANY($1)")
                .execute(Tuple.of(streamIds.toArray(String[]::new))).replaceWithVoid();
    }

    /** {@code <context>/<queue>} keys: the queues that exist and those with a delivered group. */
    public record QueueStates(Set<String> existing, Set<String> withDelivered) {}

    /** What streams of these contexts must look at, in one round trip however many streams are open. */
    public Uni<QueueStates> queueStates(Set<String> contexts) {
        return pool.preparedQuery("SELECT q.context_id, q.id, EXISTS (SELECT 1 FROM fault.fault_groups g WHERE g.context_id = q.context_id"
                        + " AND g.fault_id = q.id AND g.state = 'DELIVERED') FROM fault.fault_queues q WHERE q.context_id = ANY($1)")
                .execute(Tuple.of(contexts.toArray(String[]::new)))
                .map(rs -> {
                    Set<String> existing = new java.util.HashSet<>();
                    Set<String> delivered = new java.util.HashSet<>();
                    for (Row r : rs) {
                        String key = r.getString(0) + '/' + r.getInteger(1);
                        existing.add(key);
                        if (r.getBoolean(2)) {
                            delivered.add(key);
                        }
                    }
                    return new QueueStates(existing, delivered);
                });
    }

    /** Groups awaiting a response (delivered or read), every queue. */
    public Uni<Long> pendingGroups() {
        return pool.query("SELECT count(*) FROM fault.fault_groups WHERE state <> 'PARTIAL'").execute()
                .map(rs -> rs.iterator().next().getLong(0));
    }

    static String write(List<Fault> faults) {
        try {
            return JSON.writeValueAsString(faults);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Fault> read(String json) {
        try {
            return JSON.readValue(json, FAULTS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored faults unreadable", e);
        }
    }
}
