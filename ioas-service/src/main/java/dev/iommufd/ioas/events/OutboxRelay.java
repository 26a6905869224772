package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.ioas.config.IoasConfig;
import dev.iommufd.ioas.hw.HwQueueGateway;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox in id order, one thread, then deletes what the broker acknowledged; then
 * publishes one completion request (sync) per queue for every caller that registered before the
 * drain began. So concurrent calls share syncs: however many unmaps committed meanwhile, each
 * queue gets one sync per drain (DESIGN: "many concurrent unmaps are batched into one completion").
 *
 * <p>Deferred rows (LAZY unmap invalidations) are published when {@code lazy-flush.batch-size} of
 * them are waiting or the oldest is {@code lazy-flush.max-delay} old. Runs on {@link #kick()},
 * every 200 ms for what a crash or a failed send left behind. A record may be sent twice after a
 * crash (at-least-once): the re-sent records are a suffix in the same order, and hardware commands
 * set state, so repeating them changes nothing.
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

    @Inject
    HwQueueGateway gateway;

    @Inject
    IoasConfig config;

    @Inject
    MeterRegistry registry;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "outbox-relay");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Callers waiting for a sync behind their commits; swapped for an empty batch by each drain. */
    private SyncBatch waiting = new SyncBatch();
    /** Deferred rows committed and not yet published (by this process; crash leftovers go by age). */
    private final AtomicInteger deferredWaiting = new AtomicInteger();
    private DistributionSummary callersPerSync;
    private DistributionSummary lazyFlushSize;

    @PostConstruct
    void meters() {
        callersPerSync = DistributionSummary.builder("iommufd.ioas.sync.callers")
                .description("Callers that shared one completion request per queue").register(registry);
        lazyFlushSize = DistributionSummary.builder("iommufd.ioas.lazy.flush.size")
                .description("Deferred invalidations published by one lazy flush").register(registry);
    }

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

    /** For tests: occupies the relay's one thread (drains queue up behind it). */
    void runOnRelayThread(Runnable task) {
        thread.execute(task);
    }

    /**
     * Completes once hw-sim completed a sync on each of {@code queues} published after everything
     * committed before this call. Call it after the commit.
     */
    public CompletableFuture<Void> syncAfterCommit(Set<String> queues) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (queues.isEmpty()) {
            done.complete(null);
            return done;
        }
        synchronized (this) {
            waiting.add(queues, done);
        }
        kick();
        return done;
    }

    /** {@code n} deferred rows were committed: flush now if the batch is full, else when the oldest is due. */
    public void deferredCommitted(int n) {
        if (n == 0) {
            return;
        }
        if (deferredWaiting.addAndGet(n) >= config.lazyFlush().batchSize()) {
            kick();
        } else {
            thread.schedule(this::kick, config.lazyFlush().maxDelay().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Publishes every due row, then at once (without waiting for the broker) one sync per queue
     * for the waiting callers: the producer keeps per-partition order, so each sync lands behind
     * the rows. A caller completes only when its syncs completed <em>and</em> the broker
     * acknowledged every row of this drain; if a row was not acknowledged the callers fail (EIO)
     * and the rows stay for the next drain.
     */
    private void drain() {
        SyncBatch batch;
        synchronized (this) {
            batch = waiting;
            waiting = new SyncBatch();
        }
        List<Long> ids = new ArrayList<>();
        int[] deferred = {0};
        CompletableFuture<Void> acked;
        try {
            if (!batch.isEmpty()) {
                gateway.awaitListening();
            }
            acked = publishOutbox(ids, deferred);
        } catch (Exception e) {
            synchronized (this) {
                waiting.addAll(batch); // nothing of theirs was answered yet: the next drain serves them
            }
            LOG.warnf("outbox relay: %s (will retry)", e.toString());
            return;
        }
        publishSyncs(batch, acked);
        try {
            acked.get(30, TimeUnit.SECONDS);
            if (!ids.isEmpty()) {
                pool.preparedQuery("DELETE FROM " + TABLE + " WHERE id = ANY($1)")
                        .execute(Tuple.of(ids.toArray(Long[]::new))).await().atMost(Duration.ofSeconds(10));
            }
            if (deferred[0] > 0) {
                deferredWaiting.updateAndGet(v -> Math.max(0, v - deferred[0]));
                lazyFlushSize.record(deferred[0]);
            }
        } catch (Exception e) {
            LOG.warnf("outbox relay: %s (rows stay for the next pass)", e.toString());
        }
    }

    /** Sends the due rows in id order; the future completes when the broker acknowledged all of them. */
    private CompletableFuture<Void> publishOutbox(List<Long> ids, int[] deferred) {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        long after = 0;
        while (true) {
            boolean flushAll = deferredWaiting.get() >= config.lazyFlush().batchSize();
            List<Row> rows = new ArrayList<>();
            pool.preparedQuery("SELECT id, kafka_key, context_id, correlation_id, payload, deferred FROM " + TABLE
                            + " WHERE id > $3 AND (NOT deferred OR $1 OR created_at <= clock_timestamp() - $2 * interval '1 microsecond')"
                            + " ORDER BY id LIMIT " + BATCH)
                    .execute(Tuple.of(flushAll, config.lazyFlush().maxDelay().toNanos() / 1000, after))
                    .await().atMost(Duration.ofSeconds(10)).forEach(rows::add);
            for (Row r : rows) {
                EventPayload payload = EventJson.readPayload(r.getString("payload"));
                acks.add(publisher.publish(r.getString("kafka_key"), r.getString("context_id"), r.getString("correlation_id"), payload));
                ids.add(r.getLong("id"));
                deferred[0] += r.getBoolean("deferred") ? 1 : 0;
                after = r.getLong("id");
            }
            if (rows.size() < BATCH) {
                return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
            }
        }
    }

    /** One sync per queue for all callers of this drain; each caller completes when all its queues did and the rows were acknowledged. */
    private void publishSyncs(SyncBatch batch, CompletableFuture<Void> rowsAcked) {
        if (batch.isEmpty()) {
            return;
        }
        batch.queues().forEach(q -> callersPerSync.record(batch.callers(q)));
        batch.send(queue -> {
            String corr = UUID.randomUUID().toString();
            CompletableFuture<?> completion = gateway.completion(corr);
            publisher.publish(queue, null, corr, new SyncRequest(queue)).whenComplete((ok, err) -> {
                if (err != null) {
                    gateway.fail(corr, err);
                }
            });
            return completion;
        }, rowsAcked);
    }
}
