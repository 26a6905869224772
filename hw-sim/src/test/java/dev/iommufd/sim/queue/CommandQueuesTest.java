package dev.iommufd.sim.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.topology.Topology;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandQueuesTest {
    private final CommandQueues queues = new CommandQueues(Topology.defaults(), new dev.iommufd.sim.platform.Platform(Topology.defaults(), new dev.iommufd.sim.memory.HostMemory()), Clock.systemUTC());

    private static EventEnvelope sync(String key, String iommu, long seq) {
        return new EventEnvelope(1, "id" + seq, "ioas-service", "ctx", key, seq, "corr-" + seq, Instant.now(), null,
                new SyncRequest(iommu));
    }

    @Test
    void syncIsAnsweredWithItsCorrelationAndSequence() {
        List<EventEnvelope> out = queues.apply(sync("dmar0", "dmar0", 5));
        assertEquals(1, out.size());
        EventEnvelope c = out.get(0);
        assertEquals("corr-5", c.correlationId());
        assertEquals("dmar0", c.key());
        assertEquals(CommandQueues.SOURCE, c.source());
        assertEquals(new Completion("dmar0", "ioas-service", 5), c.payload());
    }

    @Test
    void duplicatesAreNotAppliedTwice() {
        assertEquals(1, queues.apply(sync("smmu0", "smmu0", 1)).size());
        assertEquals(0, queues.apply(sync("smmu0", "smmu0", 1)).size());
        assertEquals(1, queues.duplicates());
        assertEquals(1, queues.apply(sync("smmu0", "smmu0", 2)).size());
    }

    @Test
    void completionSequencesIncreasePerQueue() {
        long a = queues.apply(sync("dmar1", "dmar1", 1)).get(0).sequence();
        long b = queues.apply(sync("dmar1", "dmar1", 2)).get(0).sequence();
        assertTrue(b > a);
    }

    @Test
    void unknownIommuOrWrongQueueIsRejected() {
        assertThrows(CommandQueues.RejectedCommandException.class, () -> queues.apply(sync("dmar9", "dmar9", 1)));
        assertThrows(CommandQueues.RejectedCommandException.class, () -> queues.apply(sync("dmar0", "smmu0", 1)));
    }

    @Test
    void aCompletionIsNotACommand() {
        EventEnvelope c = new EventEnvelope(1, "x", "hw-sim", null, "dmar0", 1, "c", Instant.now(), null,
                new Completion("dmar0", "ioas-service", 1));
        assertThrows(CommandQueues.RejectedCommandException.class, () -> queues.apply(c));
    }
}
