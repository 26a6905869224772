package dev.iommufd.contract.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** The typed body of an event; {@code kind} names the type on the wire. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SyncRequest.class, name = "SYNC"),
        @JsonSubTypes.Type(value = Completion.class, name = "COMPLETION"),
})
public sealed interface EventPayload permits SyncRequest, Completion {
}
