package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.stream.ConsumingPump;
import dev.iommufd.viommu.veventq.EventRing.Entry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Open SSE streams of vEVENTQs. A stream consumes entries as GET …/events does and emits one per
 * message. How it learns of new entries: this instance wakes the queue's streams after it
 * committed a report ({@link #wake}); entries another replica stored are found by one query every
 * {@link #POLL_MS} ms over all open streams (chosen over PostgreSQL LISTEN/NOTIFY: no dedicated
 * connection to keep alive and re-subscribe, and a missed wake-up costs at most one poll period).
 * A stream ends when its queue is gone (destroy, context close).
 */
@ApplicationScoped
public class EventStreams {
    private static final Logger LOG = Logger.getLogger(EventStreams.class);
    static final long POLL_MS = 250;
    private static final int BATCH = 64;

    @Inject
    VeventqStore store;

    @Inject
    Vertx vertx;

    private final Map<String, Stream> open = new ConcurrentHashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private long timer = -1;

    void start(@Observes StartupEvent ignored) {
        timer = vertx.setPeriodic(POLL_MS, t -> pollAll());
    }

    void stop(@Observes ShutdownEvent ignored) {
        vertx.cancelTimer(timer);
        open.values().forEach(s -> s.em.complete());
    }

    /** After this instance committed an entry into {@code ctx/id}. */
    public void wake(String ctx, int id) {
        String key = ctx + '/' + id;
        open.values().stream().filter(s -> s.key.equals(key)).forEach(Stream::pump);
    }

    /** One query for all open streams; wakes those whose queue holds an entry or is gone. One poll at a time. */
    void pollAll() {
        if (open.isEmpty() || !polling.compareAndSet(false, true)) {
            return;
        }
        Set<String> contexts = new HashSet<>();
        Set<String> keys = new HashSet<>();
        open.values().forEach(s -> {
            contexts.add(s.ctx);
            keys.add(s.key);
        });
        store.readyOrGone(contexts, keys).subscribe().with(ready -> {
            polling.set(false);
            open.values().stream().filter(s -> ready.contains(s.key)).forEach(Stream::pump);
        }, t -> {
            polling.set(false);
            LOG.warnf("vEVENTQ stream poll: %s", t.toString());
        });
    }

    /** The entries of {@code ctx/id} as they arrive, consumed; ends when the queue is gone. */
    public Multi<Entry> open(String ctx, int id) {
        return Multi.createFrom().emitter(em -> {
            Stream s = new Stream(ctx, id, em);
            String sid = UUID.randomUUID().toString();
            open.put(sid, s);
            em.onTermination(() -> open.remove(sid));
            s.pump();
        });
    }

    /** One stream: the contract's {@link ConsumingPump} over this queue (entries in queue order). */
    private final class Stream {
        final String ctx;
        final int id;
        final String key;
        final MultiEmitter<? super Entry> em;
        private final ConsumingPump<Entry> pump;

        Stream(String ctx, int id, MultiEmitter<? super Entry> em) {
            this.ctx = ctx;
            this.id = id;
            this.key = ctx + '/' + id;
            this.em = em;
            this.pump = new ConsumingPump<>(BATCH, em, n -> store.consume(ctx, id, n),
                    t -> LOG.warnf("vEVENTQ stream %s: %s", key, t.toString()));
        }

        void pump() {
            pump.pump();
        }
    }
}
