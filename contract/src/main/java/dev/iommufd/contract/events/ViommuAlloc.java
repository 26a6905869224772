package dev.iommufd.contract.events;

/**
 * A vIOMMU ({@code <context>/<id>}) of {@code type} (ARM_SMMUV3, INTEL_VTD) on physical {@code iommu}
 * over the NEST_PARENT domain {@code parent}. hw-sim gives it a VMID (SMMUv3) in stream order, so a
 * replay gives the same one; {@link SmmuCommands} of the vIOMMU are scoped to it.
 */
public record ViommuAlloc(String viommu, String iommu, String parent, String type) implements EventPayload {
}
