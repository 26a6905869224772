package dev.iommufd.contract.events;

/**
 * A nested (guest stage-1) domain on {@code iommu} over the NEST_PARENT paging domain
 * {@code parent}: the hardware walks the guest's stage-1 table in simulated memory, translating
 * every table pointer through {@code parent}. Exactly one of {@code vtd} / {@code smmu} is set.
 *
 * @param domain  {@code <context>/<hwpt id>}, destroyed with {@link DomainDestroy}
 * @param viommu  {@code <context>/<viommu id>} when allocated on a vIOMMU (SMMUv3: its VMID scopes
 *                the IOTLB entries), else null
 * @param faultId fault queue id in the context, or null (see {@link DomainCreate#faultId()})
 */
public record NestedDomainCreate(String domain, String iommu, String parent, String viommu, Integer faultId,
                                 VtdS1 vtd, SmmuSte smmu) implements EventPayload {

    /** IOMMU_HWPT_DATA_VTD_S1: first-stage table root (GPA), 48/57-bit, SRE/EAFE/WPE. */
    public record VtdS1(long pgtblAddr, int addrWidth, boolean sre, boolean eafe, boolean wpe) {}

    /** IOMMU_HWPT_DATA_ARM_SMMUV3: guest STE words 0 and 1 (already checked by viommu-service). */
    public record SmmuSte(long word0, long word1) {}
}
