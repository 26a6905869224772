package dev.iommufd.contract.topology;

import dev.iommufd.contract.api.U64;

/** An IOVA range a device can never use for DMA mappings (e.g. the MSI window), inclusive. */
public record ReservedRegion(U64 start, U64 last, String type) {
}
