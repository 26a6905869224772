package dev.iommufd.contract.events;

/**
 * Read (and unless {@code noClear}, clear) the dirty state of [iova, iova+length) of a domain.
 * hw-sim answers with a {@link DirtyReport} carrying the same correlation id, in queue order.
 */
public record ReadDirty(String domain, long iova, long length, boolean noClear) implements EventPayload {
}
