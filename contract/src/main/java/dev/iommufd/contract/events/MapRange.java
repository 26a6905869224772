package dev.iommufd.contract.events;

/** Page-table update: [iova, iova+length) → [hostPa, …) with these permissions. */
public record MapRange(String domain, long iova, long length, long hostPa, boolean read, boolean write) implements EventPayload {
}
