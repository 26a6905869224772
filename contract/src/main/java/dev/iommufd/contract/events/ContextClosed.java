package dev.iommufd.contract.events;

/**
 * ioas-service closed a context (on {@link Topics#CONTEXTS}, key: the context id): every service
 * drops what it holds of it. Published through ioas-service's outbox in the transaction that
 * deletes the context, so it is never lost; applying it twice changes nothing.
 */
public record ContextClosed(String contextId) implements EventPayload {
}
