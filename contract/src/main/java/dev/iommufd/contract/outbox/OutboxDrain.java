package dev.iommufd.contract.outbox;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One pass over an outbox table {@code (id bigserial, kafka_key, context_id, payload)}: takes the
 * oldest rows with {@code FOR UPDATE SKIP LOCKED} (replicas never send the same row at once), hands
 * them to the producer in id order, and deletes them in the same transaction only once the broker
 * acknowledged every one (acks=all). So a committed row is never lost; after a crash between send
 * and commit it is sent again, which consumers must tolerate (hardware commands set state).
 */
public final class OutboxDrain {
    /** Hands one row to the producer; completes when the broker acknowledged it. */
    public interface Publish {
        CompletableFuture<Void> publish(String key, String contextId, EventPayload payload);
    }

    private final Pool pool;
    private final String table;
    private final int batch;
    private final Publish publish;

    /** {@code table}: schema-qualified name, a constant of the service (never client input). */
    public OutboxDrain(Pool pool, String table, int batch, Publish publish) {
        this.pool = pool;
        this.table = table;
        this.batch = batch;
        this.publish = publish;
    }

    public int batch() {
        return batch;
    }

    /** Publishes and deletes up to {@link #batch()} rows; returns how many. */
    public int drainOnce() {
        return pool.withTransaction(c -> c.preparedQuery("SELECT id, kafka_key, context_id, payload FROM " + table
                        + " ORDER BY id LIMIT " + batch + " FOR UPDATE SKIP LOCKED").execute()
                .flatMap(rows -> {
                    List<Long> ids = new ArrayList<>();
                    List<CompletableFuture<Void>> acks = new ArrayList<>();
                    for (Row r : rows) {
                        ids.add(r.getLong("id"));
                        acks.add(publish.publish(r.getString("kafka_key"), r.getString("context_id"),
                                EventJson.readPayload(r.getString("payload"))));
                    }
                    if (ids.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    return Uni.createFrom().completionStage(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)))
                            .ifNoItem().after(Duration.ofSeconds(30)).fail()
                            .flatMap(v -> c.preparedQuery("DELETE FROM " + table + " WHERE id = ANY($1)")
                                    .execute(Tuple.of(ids.toArray(Long[]::new))))
                            .replaceWith(ids.size());
                })).await().atMost(Duration.ofSeconds(40));
    }

    /** Which of {@code ids} are still waiting (not yet published by any replica). */
    public Set<Long> pending(Set<Long> ids) {
        Set<Long> out = new HashSet<>();
        if (ids.isEmpty()) {
            return out;
        }
        pool.preparedQuery("SELECT id FROM " + table + " WHERE id = ANY($1)")
                .execute(Tuple.of(ids.toArray(Long[]::new))).await().atMost(Duration.ofSeconds(10))
                .forEach(r -> out.add(r.getLong("id")));
        return out;
    }
}
