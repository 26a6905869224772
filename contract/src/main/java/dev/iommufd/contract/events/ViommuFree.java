package dev.iommufd.contract.events;

/** The vIOMMU is gone: its VMID's IOTLB entries are dropped (as the kernel's TLBI_S12_VMALL on free). */
public record ViommuFree(String viommu) implements EventPayload {
}
