package dev.iommufd.viommu.ioas;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.viommu.hw.HwQueue;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * Allocation and destroy of our objects around ioas-service's object table: the id and the
 * references come from there first (its checks run under the context lock), then our row, then
 * the hardware. A failure after the id was allocated releases it again, so a refused call leaves
 * nothing behind.
 */
@ApplicationScoped
public class Lifecycle {
    @Inject
    @RestClient
    IoasNesting ioas;

    @Inject
    HwQueue hw;

    /** Hardware commands on one queue ({@code key}: physical IOMMU), completed before the call answers. */
    public record HwWork(String key, List<? extends EventPayload> payloads) {}

    public IoasNesting ioas() {
        return ioas;
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
     * row's delete, then the hardware commands of {@code after}.
     */
    public <E extends PanacheEntityBase> Uni<Response> destroy(String ctx, int id, Supplier<Uni<E>> row,
                                                               Supplier<Uni<Long>> delete, Function<E, HwWork> after) {
        return Panache.withSession(row).flatMap(e -> remote(() -> ioas.release(ctx, id))
                .onFailure(t -> t instanceof ErrnoException x && x.errno() == Errno.ENOENT)
                .call(t -> Panache.withTransaction(delete))
                .flatMap(ignored -> Panache.withTransaction(delete))
                .flatMap(ignored -> {
                    HwWork w = after.apply(e);
                    return w == null ? Uni.createFrom().voidItem() : hw.apply(w.key(), ctx, w.payloads());
                }))
                .map(ignored -> Response.noContent().build());
    }
}
