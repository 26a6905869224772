package dev.iommufd.viommu.hw;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.outbox.OutboxDrain;
import dev.iommufd.contract.outbox.RelayLoop;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The transactional outbox of our lifecycle commands: {@link #add} inside the transaction that
 * changes a row, so the row and its hardware command commit together; the relay (contract's
 * {@link OutboxDrain} on one {@link RelayLoop} thread, every 200 ms and on demand) publishes them in
 * id order through {@link HwQueue}'s publisher. {@link #published} tells a caller when its rows are
 * on the broker (published by this or another replica), so it can put a sync behind them.
 */
@ApplicationScoped
public class CommandOutbox {
    private static final Logger LOG = Logger.getLogger(CommandOutbox.class);

    @Inject
    Pool pool;

    @Inject
    HwQueue hw;

    private OutboxDrain drain;
    private RelayLoop loop;
    private final Map<Set<Long>, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

    void start(@Observes StartupEvent ev) {
        drain = new OutboxDrain(pool, "viommu.outbox", 256, (key, ctx, payload) -> hw.publish(key, ctx, null, payload));
        loop = new RelayLoop("viommu-outbox-relay", drain.batch(), drain::drainOnce,
                e -> LOG.warnf("viommu outbox relay: %s (rows stay for the next pass)", e.toString()), this::completeWaiters);
        loop.start(Duration.ofMillis(200));
    }

    void stop(@Observes ShutdownEvent ev) {
        if (loop != null) {
            loop.close();
        }
    }

    /** Queues the commands in the current transaction; the ids of the rows. */
    public Uni<Set<Long>> add(String key, String contextId, List<? extends EventPayload> payloads) {
        Set<Long> ids = new HashSet<>();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (EventPayload p : payloads) {
            chain = chain.chain(() -> {
                OutboxRecord r = new OutboxRecord();
                r.key = key;
                r.contextId = contextId;
                r.payload = EventJson.writePayload(p);
                return r.<OutboxRecord>persist().invoke(saved -> ids.add(saved.id)).replaceWithVoid();
            });
        }
        return chain.map(x -> ids);
    }

    /** Completes once none of {@code ids} (committed rows) waits in the outbox any more. */
    public CompletableFuture<Void> published(Set<Long> ids) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (ids.isEmpty()) {
            done.complete(null);
            return done;
        }
        waiting.put(Set.copyOf(ids), done);
        done.whenComplete((ok, err) -> waiting.remove(Set.copyOf(ids), done));
        if (loop != null) {
            loop.kick();
        }
        return done;
    }

    /** After each relay pass: callers whose rows are gone (published here or by another replica). */
    private void completeWaiters() {
        if (waiting.isEmpty()) {
            return;
        }
        Set<Long> all = new HashSet<>();
        waiting.keySet().forEach(all::addAll);
        Set<Long> pending = drain.pending(all);
        waiting.forEach((ids, f) -> {
            if (ids.stream().noneMatch(pending::contains)) {
                f.complete(null);
            }
        });
    }
}
