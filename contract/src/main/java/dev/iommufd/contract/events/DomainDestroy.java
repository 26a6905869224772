package dev.iommufd.contract.events;

/** The domain is gone: its page table and every cached translation of it. */
public record DomainDestroy(String domain) implements EventPayload {
}
