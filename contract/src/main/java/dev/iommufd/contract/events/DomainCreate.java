package dev.iommufd.contract.events;

/**
 * A paging domain comes into existence on its home IOMMU. {@code domain} is globally unique
 * ({@code <context>/<hwpt id>}); {@code hugePages} allows 2 MiB / 1 GiB leaves.
 */
public record DomainCreate(String domain, String iommu, int addressWidth, boolean hugePages) implements EventPayload {
}
