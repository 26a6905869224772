package dev.iommufd.contract.events;

/**
 * A completion request on one IOMMU's command queue (VT-d wait descriptor, SMMUv3 CMD_SYNC):
 * hw-sim answers with a {@link Completion} carrying the same correlation id only once every
 * command it received before this one on the same key has taken effect.
 */
public record SyncRequest(String iommu) implements EventPayload {
}
