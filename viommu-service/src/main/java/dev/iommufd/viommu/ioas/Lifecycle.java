package dev.iommufd.viommu.ioas;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.viommu.hw.CommandOutbox;
import dev.iommufd.viommu.hw.HwQueue;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * Allocation and destroy of our objects around ioas-service's object table: the id and the
 * references come from there first (its checks run under the context lock), then our row together
 * with its hardware commands in the outbox (one transaction: a committed change always reaches
 * hw-sim, also across a crash), then the wait for hw-sim's completion. A failure after the id was
 * allocated releases it again, so a refused call leaves nothing behind.
 */
@ApplicationScoped
public class Lifecycle {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Lifecycle.class);

    @Inject
    @RestClient
    IoasNesting ioas;

    @Inject
    HwQueue hw;

    @Inject
    CommandOutbox outbox;

    /** Hardware commands on one queue ({@code key}: physical IOMMU), completed before the call answers. */
    public record HwWork(String key, List<? extends EventPayload> payloads) {}

    public IoasNesting ioas() {
        return ioas;
    }

    /**
     * {@code change} and the commands of {@code work} (may be null) in one transaction; then waits
     * until hw-sim completed them (the outbox rows on the broker, a sync behind them): EIO if not.
     */
    public Uni<Void> commitAndApply(String ctx, Supplier<Uni<?>> change, HwWork work) {
        return commitAndApply(ctx, change, work, null, null);
    }

    /**
     * As {@link #commitAndApply(String, Supplier, HwWork)}; if the change committed but hw-sim did
     * not complete it, {@code undo} with {@code undoWork} behind the first commands (best effort)
     * before the error goes on. A change that never committed needs no undo.
     */
    public Uni<Void> commitAndApply(String ctx, Supplier<Uni<?>> change, HwWork work, Supplier<Uni<?>> undo, HwWork undoWork) {
        return Panache.withTransaction(() -> change.get().flatMap(x -> work == null
                        ? Uni.createFrom().item(Set.<Long>of()) : outbox.add(work.key(), ctx, work.payloads())))
                .flatMap(ids -> ids.isEmpty() ? Uni.createFrom().voidItem() : applied(work.key(), ctx, ids)
                        .onFailure().call(t -> undo == null ? Uni.createFrom().voidItem() : undo(ctx, undo, undoWork)));
    }

    /**
     * Undoes a change whose commands hw-sim did not complete: {@code change} (the row out) with the
     * opposite commands behind the first ones; best effort (logged), the caller keeps its error.
     */
    private Uni<Void> undo(String ctx, Supplier<Uni<?>> change, HwWork work) {
        return commitAndApply(ctx, change, work)
                .onFailure().invoke(t -> LOG.warnf("undo in %s: %s", ctx, t.toString()))
                .onFailure().recoverWithNull();
    }

    /** Waits until the outbox rows {@code ids} are on the broker, then for a sync on {@code key}. */
    private Uni<Void> applied(String key, String ctx, Set<Long> ids) {
        return Uni.createFrom().deferred(() -> {
            // the outcome arrives on the relay's or a timer's thread; what follows (an undo, the
            // answer) needs the caller's Vert.x context for its Hibernate Reactive session
            io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
            Uni<Void> done = HwQueue.eio(Uni.createFrom().completionStage(() -> outbox.published(ids)
                            .orTimeout(hw.syncTimeout().toMillis(), TimeUnit.MILLISECONDS)))
                    .flatMap(x -> hw.apply(key, ctx, List.of()))
                    // one deadline for both steps (callers such as ioas-service's pass-through wait a bounded time)
                    .ifNoItem().after(hw.syncTimeout()).failWith(() -> ErrnoException.of(Errno.EIO,
                            "the hardware did not complete within %s", hw.syncTimeout()));
            return caller == null ? done : done.emitOn(r -> caller.runOnContext(v -> r.run()));
        });
    }

    /** Calls ioas-service, passing its errno on. */
    public <T> Uni<T> remote(Supplier<Uni<T>> call) {
        return Uni.createFrom().deferred(() -> call.get()).onFailure().transform(RemoteErrno::of);
    }

    /** After {@code id} was allocated: {@code work}; if it fails, the id is released (best effort) and the error kept. */
    public <T> Uni<T> orRelease(String ctx, int id, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> work.get())
                .onFailure().call(t -> ioas.release(ctx, id).onFailure().recoverWithNull());
    }

    /**
     * IOMMU_DESTROY of one of our objects: its row (ENOENT), the release in ioas-service (EBUSY
     * while held; ENOENT when an unbind already destroyed it there — then our row goes too), the
     * row's delete with the hardware commands of {@code after} (outbox, one transaction), then the
     * wait for hw-sim (EIO if it does not complete in time; the object is gone either way and its
     * commands still reach hw-sim).
     */
    public <E extends PanacheEntityBase> Uni<Response> destroy(String ctx, int id, Supplier<Uni<E>> row,
                                                               Supplier<Uni<Long>> delete, Function<E, HwWork> after) {
        return Panache.withSession(row).flatMap(e -> remote(() -> ioas.release(ctx, id))
                .onFailure(t -> t instanceof ErrnoException x && x.errno() == Errno.ENOENT)
                .call(t -> Panache.withTransaction(delete))
                .flatMap(ignored -> commitAndApply(ctx, delete::get, after.apply(e))))
                .map(ignored -> Response.noContent().build());
    }
}
