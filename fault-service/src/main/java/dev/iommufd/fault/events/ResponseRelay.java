package dev.iommufd.fault.events;

import dev.iommufd.contract.events.EventPublisher;
import dev.iommufd.contract.outbox.OutboxDrain;
import dev.iommufd.contract.outbox.RelayLoop;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox (PAGE_RESPONSEs on {@code iommufd.hw.commands}, key = IOMMU) with the
 * contract's {@link OutboxDrain} (id order, rows deleted only once acknowledged, SKIP LOCKED between
 * replicas): a response that was accepted (committed) is never lost. After a crash between send and
 * delete a row is sent again; hw-sim ignores a response for a group it no longer has outstanding.
 * Runs on {@link #kick()} after each commit that queued a response and every 200 ms for leftovers.
 */
@ApplicationScoped
public class ResponseRelay {
    private static final Logger LOG = Logger.getLogger(ResponseRelay.class);
    public static final String SOURCE = "fault-service";

    @Inject
    Pool pool;

    @Inject
    @Channel("hw-commands")
    MutinyEmitter<String> commands;

    private final EventPublisher publisher = new EventPublisher(SOURCE);
    private RelayLoop loop;

    void start(@Observes StartupEvent ev) {
        OutboxDrain drain = new OutboxDrain(pool, "fault.fault_outbox", 256,
                (key, ctx, payload) -> publisher.publish(commands, key, ctx, null, payload));
        loop = new RelayLoop("fault-outbox-relay", drain.batch(), drain::drainOnce,
                e -> LOG.warnf("fault outbox relay: %s (rows stay for the next pass)", e.toString()), () -> { });
        loop.start(Duration.ofMillis(200));
    }

    void stop(@Observes ShutdownEvent ev) {
        if (loop != null) {
            loop.close();
        }
    }

    /** Asks for a drain soon; many kicks while one is pending make one drain. */
    public void kick() {
        if (loop != null) {
            loop.kick();
        }
    }
}
