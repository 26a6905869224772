package dev.iommufd.contract.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventJsonTest {
    private static EventEnvelope sync(long seq) {
        return new EventEnvelope(1, "e-" + seq, "ioas-service", "ctx1", "dmar0", seq, "c-" + seq,
                Instant.parse("2026-11-22T00:00:00Z"), TraceContext.newTraceparent(), new SyncRequest("dmar0"));
    }

    @Test
    void roundTripsEveryPayloadKind() {
        EventEnvelope s = sync(7);
        assertEquals(s, EventJson.read(EventJson.write(s)));
        EventEnvelope c = new EventEnvelope(1, "e2", "hw-sim", null, "dmar0", 1, "c-7", Instant.EPOCH, null,
                new Completion("dmar0", "ioas-service", 7));
        assertEquals(c, EventJson.read(EventJson.write(c)));
        assertTrue(EventJson.write(s).contains("\"kind\":\"SYNC\""));
        assertTrue(EventJson.write(s).contains("\"time\":\"2026-11-22T00:00:00Z\""));
    }

    @Test
    void rejectsWhatIsNotAnEvent() {
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read("not json"));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read("null"));
        String ok = EventJson.write(sync(1));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(ok.replace("\"schemaVersion\":1", "\"schemaVersion\":99")));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(ok.replace("\"kind\":\"SYNC\"", "\"kind\":\"NOPE\"")));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(ok.replace("\"sequence\":1", "\"sequence\":0")));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(ok.replace("{\"schemaVersion\"", "{\"extra\":1,\"schemaVersion\"")));
    }

    @Test
    void sequenceTrackerAppliesEachEventOnce() {
        SequenceTracker t = new SequenceTracker();
        assertTrue(t.firstTime(sync(1)));
        assertFalse(t.firstTime(sync(1)));
        assertTrue(t.firstTime(sync(2)));
        assertFalse(t.firstTime(sync(1)));
        assertEquals(2, t.lastApplied("ioas-service", "dmar0"));
        assertEquals(0, t.lastApplied("ioas-service", "smmu0"));
    }

    @Test
    void traceparentIsW3c() {
        String tp = TraceContext.newTraceparent();
        assertTrue(TraceContext.valid(tp), tp);
        assertFalse(TraceContext.valid("00-" + "0".repeat(32) + "-" + "1".repeat(16) + "-01"));
    }
}
