package dev.iommufd.fault.events;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.EventPublisher;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
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
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox (PAGE_RESPONSEs on {@code iommufd.hw.commands}, key = IOMMU) in id order on
 * one thread and deletes rows only once the broker acknowledged them (acks=all): a response that
 * was accepted (committed) is never lost. The rows are locked while they are sent (SKIP LOCKED),
 * so replicas never send the same row at once. After a crash between send and delete a row is
 * sent again; hw-sim ignores a response for a group it no longer has outstanding. Runs on
 * {@link #kick()} after each commit that queued a response and every 200 ms for leftovers.
 */
@ApplicationScoped
public class ResponseRelay {
    private static final Logger LOG = Logger.getLogger(ResponseRelay.class);
    public static final String SOURCE = "fault-service";
    private static final int BATCH = 256;

    @Inject
    Pool pool;

    @Inject
    @Channel("hw-commands")
    MutinyEmitter<String> commands;

    private final EventPublisher publisher = new EventPublisher(SOURCE);
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fault-outbox-relay");
        t.setDaemon(true);
        return t;
    });

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
                try {
                    while (drainOnce() == BATCH) {
                        // more rows waiting
                    }
                } catch (Exception e) {
                    LOG.warnf("fault outbox relay: %s (rows stay for the next pass)", e.toString());
                }
            });
        }
    }

    /** Sends one batch and deletes it once acknowledged, in one transaction holding the rows. */
    private int drainOnce() {
        return pool.withTransaction(c -> c.preparedQuery("SELECT id, kafka_key, context_id, payload FROM fault.fault_outbox"
                        + " ORDER BY id LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED").execute()
                .flatMap(rows -> {
                    List<Long> ids = new ArrayList<>();
                    List<CompletableFuture<Void>> acks = new ArrayList<>();
                    for (Row r : rows) {
                        ids.add(r.getLong("id"));
                        acks.add(publish(r.getString("kafka_key"), r.getString("context_id"), EventJson.readPayload(r.getString("payload"))));
                    }
                    if (ids.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    return Uni.createFrom().completionStage(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)))
                            .ifNoItem().after(Duration.ofSeconds(30)).fail()
                            .flatMap(v -> c.preparedQuery("DELETE FROM fault.fault_outbox WHERE id = ANY($1)")
                                    .execute(Tuple.of(ids.toArray(Long[]::new))))
                            .replaceWith(ids.size());
                })).await().atMost(Duration.ofSeconds(40));
    }

    /** Sequence allocation and hand-off to the producer together, so per-key order on the wire is sequence order. */
    private CompletableFuture<Void> publish(String key, String contextId, EventPayload payload) {
        return publisher.publish(commands, key, contextId, null, payload);
    }
}
