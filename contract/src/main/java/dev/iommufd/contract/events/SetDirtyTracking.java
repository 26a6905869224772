package dev.iommufd.contract.events;

/** Starts or stops dirty tracking (VT-d SSADS / SMMUv3 HTTU) of a domain; starting clears old dirty state. */
public record SetDirtyTracking(String domain, boolean enable) implements EventPayload {
}
