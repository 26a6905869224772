package dev.iommufd.contract.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A consuming stream: everything once and in order, full batches read on, a vanished queue ends it. */
class ConsumingPumpTest {
    final ArrayDeque<Integer> queue = new ArrayDeque<>();
    final AtomicBoolean gone = new AtomicBoolean();

    synchronized Uni<List<Integer>> take(int n) {
        if (gone.get()) {
            return Uni.createFrom().failure(ErrnoException.of(Errno.ENOENT, "queue gone"));
        }
        List<Integer> out = new ArrayList<>();
        while (out.size() < n && !queue.isEmpty()) {
            out.add(queue.poll());
        }
        return Uni.createFrom().item(out);
    }

    @Test
    void emitsEveryItemOnceInQueueOrderAndEndsWhenTheQueueIsGone() {
        List<Integer> got = new CopyOnWriteArrayList<>();
        AtomicBoolean completed = new AtomicBoolean();
        AtomicReference<ConsumingPump<Integer>> pump = new AtomicReference<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Multi.createFrom().<Integer>emitter(em -> pump.set(new ConsumingPump<>(4, em, this::take, errors::add)))
                .subscribe().with(got::add, errors::add, () -> completed.set(true));
        for (int i = 0; i < 10; i++) {
            queue.add(i);
        }
        pump.get().pump();                 // 4 + 4 + 2: a full batch reads on
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), got);
        pump.get().pump();
        pump.get().pump();                 // nothing new: nothing emitted
        assertEquals(10, got.size());
        queue.add(10);
        pump.get().pump();
        assertEquals(11, got.size());
        gone.set(true);
        pump.get().pump();
        assertTrue(completed.get(), "a queue that is gone ends the stream");
        assertEquals(List.of(), errors);
    }
}
