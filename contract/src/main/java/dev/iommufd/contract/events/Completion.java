package dev.iommufd.contract.events;

/**
 * hw-sim's answer to a {@link SyncRequest}: every command of {@code source} on {@code iommu} up to
 * and including {@code upToSequence} has taken effect.
 */
public record Completion(String iommu, String source, long upToSequence) implements EventPayload {
}
