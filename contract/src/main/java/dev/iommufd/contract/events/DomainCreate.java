package dev.iommufd.contract.events;

/**
 * A paging domain comes into existence on its home IOMMU. {@code domain} is globally unique
 * ({@code <context>/<hwpt id>}); {@code hugePages} allows 2 MiB / 1 GiB leaves. {@code faultId}
 * is the id (in the domain's context) of the fault queue the HWPT was allocated with
 * ({@code FAULT_ID_VALID}), or null: only then does a translation miss of a PRI-capable device
 * become a page request instead of a fault.
 */
public record DomainCreate(String domain, String iommu, int addressWidth, boolean hugePages, Integer faultId)
        implements EventPayload {

    /** A domain without a fault queue (records written before {@code faultId} existed read as this). */
    public DomainCreate(String domain, String iommu, int addressWidth, boolean hugePages) {
        this(domain, iommu, addressWidth, hugePages, null);
    }
}
