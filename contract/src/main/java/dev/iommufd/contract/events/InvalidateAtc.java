package dev.iommufd.contract.events;

/** Device-TLB (ATS) invalidation of {@code rid}; all of it when {@code length} is 0. */
public record InvalidateAtc(String rid, long iova, long length) implements EventPayload {
}
