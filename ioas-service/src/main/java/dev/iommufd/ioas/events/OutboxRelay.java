package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox in id order, one thread, then deletes what the broker acknowledged. Runs
 * when a transaction that wrote commands commits ({@link #kick()}) and every 200 ms for what a
 * crash or a failed send left behind. A record may be sent twice after a crash (at-least-once);
 * hardware commands set state, so a repeat right after itself changes nothing.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** The schema Flyway manages for this service (quarkus.flyway.schemas). */
    private static final String TABLE = "ioas.outbox";
    private static final int BATCH = 512;

    @Inject
    Pool pool;

    @Inject
    CommandPublisher publisher;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "outbox-relay");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();

    void start(@Observes StartupEvent ev) {
        thread.scheduleWithFixedDelay(this::kick, 200, 200, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ev) {
        thread.shutdownNow();
    }

    /** Asks for a drain soon; many kicks while one is pending make one drain. */
    public void kick() {
        if (scheduled.compareAndSet(false, true)) {
            thread.execute(() -> {
                scheduled.set(false);
                drain();
            });
        }
    }

    private void drain() {
        try {
            while (true) {
                List<Row> rows = new ArrayList<>();
                pool.query("SELECT id, kafka_key, context_id, correlation_id, payload FROM " + TABLE + " ORDER BY id LIMIT " + BATCH)
                        .execute().await().atMost(Duration.ofSeconds(10)).forEach(rows::add);
                if (rows.isEmpty()) {
                    return;
                }
                List<CompletableFuture<Void>> acks = new ArrayList<>();
                List<Long> ids = new ArrayList<>();
                for (Row r : rows) {
                    EventPayload payload = EventJson.readPayload(r.getString("payload"));
                    acks.add(publisher.publish(r.getString("kafka_key"), r.getString("context_id"), r.getString("correlation_id"), payload));
                    ids.add(r.getLong("id"));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                pool.preparedQuery("DELETE FROM " + TABLE + " WHERE id = ANY($1)")
                        .execute(Tuple.of(ids.toArray(Long[]::new))).await().atMost(Duration.ofSeconds(10));
                if (rows.size() < BATCH) {
                    return;
                }
            }
        } catch (Exception e) {
            LOG.warnf("outbox relay: %s (will retry)", e.toString());
        }
    }
}
