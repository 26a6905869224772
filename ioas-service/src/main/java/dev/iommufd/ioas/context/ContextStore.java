package dev.iommufd.ioas.context;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.ioas.events.HwCommand;
import dev.iommufd.ioas.events.OutboxRecord;
import dev.iommufd.ioas.events.OutboxRelay;
import dev.iommufd.ioas.hw.HwQueueGateway;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Loads a context's state, lets pure-Java code work on it, stores it back together with the
 * hardware commands the change needs (outbox): all in one transaction holding the context's row
 * lock. An exception anywhere rolls everything back, so a refused call changes nothing and sends
 * nothing; concurrent calls on one context are serialised by the lock.
 */
@ApplicationScoped
public class ContextStore {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    @Inject
    OutboxRelay relay;

    /** Read-only work on a consistent snapshot. */
    public <R> Uni<R> read(String ctx, Function<ContextState, R> work) {
        return Panache.withSession(() -> find(ctx, LockModeType.NONE).map(c -> work.apply(decode(ctx, c.state))));
    }

    /**
     * Changes the context. Returns once committed and, when the change programmed the hardware,
     * once hw-sim completed a sync behind those commands on every queue used: the page tables are
     * updated and (strict unmap) the invalidations took effect. Concurrent callers share those
     * syncs ({@link OutboxRelay#syncAfterCommit}). A LAZY unmap waits for nothing. A completion
     * that does not come in time is EIO (the change itself is committed).
     */
    public <R> Uni<R> write(String ctx, Function<ContextState, R> work) {
        return writeAsync(ctx, (c, st) -> Uni.createFrom().item(() -> work.apply(st)));
    }

    public <R> Uni<R> writeAsync(String ctx, BiFunction<Context, ContextState, Uni<R>> work) {
        Set<String> syncQueues = new LinkedHashSet<>();
        return commit(ctx, work, syncQueues).flatMap(r -> syncQueues.isEmpty()
                ? Uni.createFrom().item(r)
                : HwQueueGateway.eioOnTimeout(Uni.createFrom().completionStage(() -> relay.syncAfterCommit(syncQueues)), "the IOMMU")
                        .replaceWith(r));
    }

    private <R> Uni<R> commit(String ctx, BiFunction<Context, ContextState, Uni<R>> work, Set<String> syncQueues) {
        int[] deferred = {0};
        boolean[] queued = {false};
        return Panache.withTransaction(() -> find(ctx, LockModeType.PESSIMISTIC_WRITE).flatMap(c -> {
                    ContextState st = decode(ctx, c.state);
                    return work.apply(c, st).call(() -> {
                        c.state = encode(st);
                        queued[0] = !st.commands.isEmpty();
                        deferred[0] = (int) st.commands.stream().filter(HwCommand::deferred).count();
                        if (!st.deferFlush) {
                            syncQueues.addAll(st.queuesUsed());
                        }
                        return persist(ctx, st.commands);
                    });
                }))
                // only a change that queued hardware commands needs the relay now
                .onItem().invoke(() -> {
                    if (queued[0]) {
                        relay.kick();
                        relay.deferredCommitted(deferred[0]);
                    }
                })
                .onFailure().invoke(syncQueues::clear);
    }

    private Uni<Void> persist(String ctx, List<HwCommand> commands) {
        if (commands.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<OutboxRecord> rows = new ArrayList<>();
        for (HwCommand cmd : commands) {
            OutboxRecord r = new OutboxRecord();
            r.key = cmd.key();
            r.contextId = ctx;
            r.payload = EventJson.writePayload(cmd.payload());
            r.deferred = cmd.deferred();
            rows.add(r);
        }
        return OutboxRecord.persist(rows);
    }

    /**
     * Closes a context: the hardware is told to detach its devices and drop its domains, and the
     * other services that the context is gone (CONTEXT_CLOSED), all through the outbox in the
     * transaction that deletes the context and its bindings.
     */
    public Uni<Void> close(String ctx) {
        return Panache.withTransaction(() -> find(ctx, LockModeType.PESSIMISTIC_WRITE).flatMap(c -> {
                    ContextState st = decode(ctx, c.state);
                    st.teardown();
                    st.emit(ctx, new ContextClosed(ctx));
                    return persist(ctx, st.commands)
                            .flatMap(v -> BoundDevice.delete("contextId", ctx))
                            .flatMap(n -> c.delete());
                }))
                .invoke(relay::kick);
    }

    static Uni<Context> find(String ctx, LockModeType lock) {
        return Context.<Context>findById(ctx, lock).map(c -> {
            if (c == null) {
                throw ErrnoException.of(Errno.ENOENT, "no such context");
            }
            return c;
        });
    }

    public static String encode(ContextState st) {
        try {
            return JSON.writeValueAsString(st);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot store context state", e);
        }
    }

    static ContextState decode(String ctx, String json) {
        try {
            ContextState st = JSON.readValue(json, ContextState.class);
            st.contextId = ctx;
            return st;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored context state unreadable", e);
        }
    }
}
