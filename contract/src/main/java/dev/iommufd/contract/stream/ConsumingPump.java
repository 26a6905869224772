package dev.iommufd.contract.stream;

import dev.iommufd.contract.api.ErrnoException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The consuming side of one SSE stream over a queue that reading empties (fault groups, vEVENTQ
 * entries): at most one consume at a time, so items go out in queue order; a {@link #pump()}
 * while one runs makes another run after it; a full batch reads on. A consume failing with an
 * errno (the queue is gone) ends the stream; other failures are reported and the next wake-up retries.
 */
public final class ConsumingPump<T> {
    private final int batch;
    private final MultiEmitter<? super T> em;
    private final IntFunction<Uni<List<T>>> consume;
    private final Consumer<Throwable> onError;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();

    /** {@code consume}: takes (removes) up to n items from the head of the queue. */
    public ConsumingPump(int batch, MultiEmitter<? super T> em, IntFunction<Uni<List<T>>> consume, Consumer<Throwable> onError) {
        this.batch = batch;
        this.em = em;
        this.consume = consume;
        this.onError = onError;
    }

    public void pump() {
        again.set(true);
        if (!running.compareAndSet(false, true)) {
            return;
        }
        again.set(false);
        if (em.isCancelled()) {
            running.set(false);
            return;
        }
        consume.apply(batch).subscribe().with(this::emit, t -> {
            running.set(false);
            if (t instanceof ErrnoException) {
                em.complete(); // the queue is gone
            } else {
                onError.accept(t);
            }
        });
    }

    private void emit(List<T> items) {
        items.forEach(em::emit);
        running.set(false);
        if (items.size() == batch || again.get()) {
            pump();
        }
    }
}
