package dev.iommufd.fault.queue;

import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.stream.ConsumingPump;
import dev.iommufd.fault.store.FaultStore;
import dev.iommufd.fault.store.Group;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Open SSE streams of fault queues. A stream consumes groups as GET …/faults does (they then
 * await a response) and emits one group per message. It is woken when this instance delivers a
 * group to its queue, and polls every {@link #POLL_MS} ms for groups another replica delivered.
 * It ends when its queue is gone (context closed). Each stream is a row in {@code fault_streams}
 * (destroy is EBUSY while it exists; its heartbeat keeps it counting).
 */
@ApplicationScoped
public class Streams {
    private static final Logger LOG = Logger.getLogger(Streams.class);
    static final long POLL_MS = 250;
    private static final int BATCH = 32;

    @Inject
    FaultStore store;

    private final Map<String, Stream> open = new ConcurrentHashMap<>();

    /** The ids of this instance's open streams (for the heartbeat). */
    public Set<String> ids() {
        return Set.copyOf(open.keySet());
    }

    /** Wakes the streams of a queue ({@code faultId} null: every queue of the context). */
    public void signal(String ctx, Integer faultId) {
        for (Stream s : open.values()) {
            if (s.ctx.equals(ctx) && (faultId == null || s.faultId == faultId)) {
                s.pump();
            }
        }
    }

    /**
     * The poll for what other replicas did: wakes the streams whose queue has a delivered group or
     * is gone (context closed elsewhere). One query however many streams are open.
     */
    public void pollAll() {
        if (open.isEmpty()) {
            return;
        }
        Set<String> contexts = new java.util.HashSet<>();
        open.values().forEach(s -> contexts.add(s.ctx));
        FaultStore.QueueStates states = store.queueStates(contexts).await().atMost(java.time.Duration.ofSeconds(5));
        for (Stream s : open.values()) {
            String key = s.ctx + '/' + s.faultId;
            if (states.withDelivered().contains(key) || !states.existing().contains(key)) {
                s.pump(); // consumes, or ends the stream of a queue that is gone
            }
        }
    }

    /** A stream on an existing queue (ENOENT otherwise, before any event is sent). */
    public Multi<Group> open(String ctx, int faultId) {
        String id = UUID.randomUUID().toString();
        // StreamQueueCheck answered 404 before the response started if the queue was missing; if it
        // went away since, the stream ends at once
        return store.openStream(id, ctx, faultId).onItem().transformToMulti(v -> Multi.createFrom().<Group>emitter(em -> {
            Stream s = new Stream(id, ctx, faultId, em);
            open.put(id, s);
            em.onTermination(() -> {
                open.remove(id);
                store.closeStream(id).subscribe().with(ok -> {}, t -> LOG.warnf("closing stream %s: %s", id, t));
            });
            s.pump();
        })).onFailure(ErrnoException.class).recoverWithCompletion();
    }

    /** One stream: the contract's {@link ConsumingPump} over this fault queue. */
    private final class Stream {
        final String id;
        final String ctx;
        final int faultId;
        private final ConsumingPump<Group> pump;

        Stream(String id, String ctx, int faultId, MultiEmitter<? super Group> em) {
            this.id = id;
            this.ctx = ctx;
            this.faultId = faultId;
            this.pump = new ConsumingPump<>(BATCH, em, n -> store.consume(ctx, faultId, n),
                    t -> LOG.warnf("stream %s: %s", id, t.toString()));
        }

        void pump() {
            pump.pump();
        }
    }
}
