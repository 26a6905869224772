package dev.iommufd.fault.queue;

import dev.iommufd.fault.events.ResponseRelay;
import dev.iommufd.fault.store.FaultMetrics;
import dev.iommufd.fault.store.FaultStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Periodic work: the optional response timeout ({@code iommufd.fault.response-timeout}, off by
 * default as in Linux), the pending-groups gauge, stream heartbeats and the streams' poll for
 * groups delivered by other replicas.
 */
@ApplicationScoped
public class Housekeeping {
    private static final Logger LOG = Logger.getLogger(Housekeeping.class);
    /** A stream row counts for destroy (EBUSY) while its heartbeat is younger than this. */
    public static final Duration STREAM_LIVENESS = Duration.ofSeconds(15);

    @Inject
    FaultStore store;

    @Inject
    FaultMetrics metrics;

    @Inject
    Streams streams;

    @Inject
    ResponseRelay relay;

    @ConfigProperty(name = "iommufd.fault.response-timeout")
    Optional<Duration> responseTimeout;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fault-housekeeping");
        t.setDaemon(true);
        return t;
    });

    void start(@Observes StartupEvent ev) {
        // every task is wrapped: an exception would cancel its schedule for good
        timer.scheduleWithFixedDelay(() -> run("stream poll", streams::pollAll), Streams.POLL_MS, Streams.POLL_MS, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(() -> run("pending gauge", () -> metrics.pending(store.pendingGroups().await().atMost(Duration.ofSeconds(5)))),
                0, 1, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(() -> run("stream heartbeat", () -> store.heartbeat(streams.ids()).await().atMost(Duration.ofSeconds(5))),
                5, 5, TimeUnit.SECONDS);
        responseTimeout.filter(d -> !d.isZero() && !d.isNegative()).ifPresent(d -> {
            long every = Math.max(50, Math.min(1000, d.toMillis() / 4));
            timer.scheduleWithFixedDelay(() -> run("response timeout", () -> expire(d)), every, every, TimeUnit.MILLISECONDS);
        });
    }

    void stop(@Observes ShutdownEvent ev) {
        timer.shutdownNow();
    }

    /** Answers INVALID every group delivered at least {@code timeout} ago; returns how many. */
    public int expire(Duration timeout) {
        int n = store.expire(timeout).await().atMost(Duration.ofSeconds(10));
        if (n > 0) {
            relay.kick();
        }
        return n;
    }

    private static void run(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debugf("%s: %s", what, e.toString());
        }
    }
}
