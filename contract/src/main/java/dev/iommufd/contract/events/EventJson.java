package dev.iommufd.contract.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;

/** The one JSON encoding of events, used by every producer, consumer, replay and export. */
public final class EventJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private EventJson() {}

    public static String write(EventEnvelope e) {
        try {
            return MAPPER.writeValueAsString(e);
        } catch (JsonProcessingException ex) {
            throw new IllegalArgumentException("cannot encode event: " + ex.getOriginalMessage(), ex);
        }
    }

    /** Decodes one event; throws {@link MalformedEventException} for anything that is not one. */
    public static EventEnvelope read(String json) {
        try {
            EventEnvelope e = MAPPER.readValue(json, EventEnvelope.class);
            if (e == null) {
                throw new MalformedEventException("empty event");
            }
            if (e.schemaVersion() != EventEnvelope.SCHEMA_VERSION) {
                throw new MalformedEventException("unsupported schema version " + e.schemaVersion());
            }
            return e;
        } catch (JsonProcessingException ex) {
            throw new MalformedEventException(ex.getOriginalMessage());
        } catch (IllegalArgumentException | NullPointerException ex) {
            throw new MalformedEventException(ex.getMessage());
        }
    }

    /** A payload alone (as stored in an outbox before it gets its envelope). */
    public static String writePayload(EventPayload p) {
        try {
            return MAPPER.writeValueAsString(p);
        } catch (JsonProcessingException ex) {
            throw new IllegalArgumentException("cannot encode payload: " + ex.getOriginalMessage(), ex);
        }
    }

    public static EventPayload readPayload(String json) {
        try {
            return MAPPER.readValue(json, EventPayload.class);
        } catch (JsonProcessingException ex) {
            throw new MalformedEventException(ex.getOriginalMessage());
        }
    }

    /** The wire name of a payload's type ({@code kind}: SYNC, INV_IOTLB, …), from {@link EventPayload}'s subtype list. */
    public static String kind(EventPayload p) {
        for (com.fasterxml.jackson.annotation.JsonSubTypes.Type t
                : EventPayload.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class).value()) {
            if (t.value() == p.getClass()) {
                return t.name();
            }
        }
        throw new IllegalArgumentException("not an event payload type: " + p.getClass().getName());
    }

    public static EventEnvelope read(byte[] json) {
        return read(new String(json, StandardCharsets.UTF_8));
    }

    /** An event that cannot be decoded: it goes to the dead-letter topic with this reason. */
    public static final class MalformedEventException extends RuntimeException {
        public MalformedEventException(String message) {
            super(message);
        }
    }
}
