package dev.iommufd.contract.events;

/** Page-table update: nothing translates [iova, iova+length) any more (caches still may until invalidated). */
public record UnmapRange(String domain, long iova, long length) implements EventPayload {
}
