package dev.iommufd.tools.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.SyncRequest;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergeTest {
    private static Recorded r(String topic, int partition, long offset, long ts) {
        return new Recorded(topic, partition, offset, ts, new EventEnvelope(1, topic + partition + offset, "s", null, "k", offset + 1,
                null, Instant.EPOCH, null, new SyncRequest("dmar0")));
    }

    @Test
    void partitionsKeepOffsetOrderAndMergeByTimestampTiesByListOrder() {
        Recorded a0 = r("a", 0, 0, 10);
        Recorded a1 = r("a", 0, 1, 5); // an older timestamp later in its partition still comes after offset 0
        Recorded b0 = r("b", 0, 0, 7);
        Recorded b1 = r("b", 0, 1, 10);
        Recorded c0 = r("b", 1, 0, 10);
        assertEquals(List.of(b0, a0, a1, b1, c0), KafkaSource.merge(List.of(List.of(a0, a1), List.of(b0, b1), List.of(c0))));
        assertEquals(List.of(), KafkaSource.merge(List.of(List.of(), List.of())));
    }
}
