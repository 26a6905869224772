package dev.iommufd.contract.outbox;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The one thread of an outbox relay: {@link #kick()} asks for a pass soon (many kicks while one is
 * pending make one pass), and a pass runs every {@code period} anyway for what a crash or a failed
 * send left behind. A pass calls {@code drainOnce} again while it filled a whole batch. One thread,
 * so rows go out in id order.
 */
public final class RelayLoop implements AutoCloseable {
    private final ScheduledExecutorService thread;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Callable<Integer> drainOnce;
    private final int batch;
    private final Consumer<Exception> onError;
    private final Runnable afterPass;

    /**
     * @param drainOnce publishes up to {@code batch} rows and returns how many it took
     * @param afterPass runs after every pass, also a failed one (e.g. completes waiters)
     */
    public RelayLoop(String name, int batch, Callable<Integer> drainOnce, Consumer<Exception> onError, Runnable afterPass) {
        this.batch = batch;
        this.drainOnce = drainOnce;
        this.onError = onError;
        this.afterPass = afterPass;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    public void start(Duration period) {
        thread.scheduleWithFixedDelay(this::kick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void kick() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                thread.execute(this::pass);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                scheduled.set(false);
            }
        }
    }

    private void pass() {
        scheduled.set(false);
        try {
            while (drainOnce.call() == batch) {
                // more rows waiting
            }
        } catch (Exception e) {
            onError.accept(e);
        }
        try {
            afterPass.run();
        } catch (RuntimeException e) {
            onError.accept(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
