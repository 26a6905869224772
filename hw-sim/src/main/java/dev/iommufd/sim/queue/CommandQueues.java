package dev.iommufd.sim.queue;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.ReadDirty;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.SequenceClock;
import dev.iommufd.contract.events.SequenceTracker;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.platform.Platform;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * The command queues of all IOMMUs (one per Kafka key). Commands are applied to the platform in
 * arrival order; a duplicate (sequence already applied) is skipped. A sync request is answered only after every
 * earlier command of its queue took effect, which holds here because commands of a key are
 * applied one after another before the next is read.
 */
public final class CommandQueues {
    public static final String SOURCE = "hw-sim";

    private final Topology topology;
    private final Platform platform;
    private final SequenceTracker applied = new SequenceTracker();
    private final SequenceClock sequence = new SequenceClock();
    private final Clock clock;
    private final CostModel cost;
    private volatile long duplicates;

    public CommandQueues(Topology topology, Platform platform, Clock clock) {
        this(topology, platform, clock, CostModel.off());
    }

    public CommandQueues(Topology topology, Platform platform, Clock clock, CostModel cost) {
        this.topology = topology;
        this.platform = platform;
        this.clock = clock;
        this.cost = cost;
    }

    /** Applies one command and returns the events it causes (completions). */
    public List<EventEnvelope> apply(EventEnvelope command) {
        synchronized (platform) {
            return applyLocked(command);
        }
    }

    private List<EventEnvelope> applyLocked(EventEnvelope command) {
        if (!applied.firstTime(command)) {
            duplicates++;
            return List.of();
        }
        if (command.payload() instanceof SyncRequest sync) {
            if (!sync.iommu().equals(command.key())) {
                throw new RejectedCommandException("sync for " + sync.iommu() + " sent on queue " + command.key());
            }
            if (topology.iommu(sync.iommu()).isEmpty()) {
                throw new RejectedCommandException("no IOMMU " + sync.iommu());
            }
            return List.of(answer(command, new Completion(sync.iommu(), command.source(), command.sequence())));
        }
        if (command.payload() instanceof ReadDirty read) {
            List<Long> pages;
            try {
                pages = platform.readDirty(read.domain(), read.iova(), read.length(), read.noClear());
            } catch (IllegalArgumentException e) {
                throw new RejectedCommandException(e.getMessage());
            }
            return List.of(answer(command, new DirtyReport(read.domain(), command.source(), pages)));
        }
        try {
            platform.apply(command.payload());
        } catch (IllegalArgumentException e) {
            throw new RejectedCommandException(e.getMessage());
        }
        cost.charge(command.payload());
        return List.of();
    }

    /** hw-sim's reply to a command: same key, correlation and trace. */
    private EventEnvelope answer(EventEnvelope command, EventPayload payload) {
        return new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), SOURCE, command.contextId(),
                command.key(), sequence.next(), command.correlationId(), clock.instant(), command.traceparent(), payload);
    }

    public long duplicates() {
        return duplicates;
    }

    /** A command hw-sim cannot apply; it goes to the dead-letter topic with this reason. */
    public static final class RejectedCommandException extends RuntimeException {
        public RejectedCommandException(String message) {
            super(message);
        }
    }
}
