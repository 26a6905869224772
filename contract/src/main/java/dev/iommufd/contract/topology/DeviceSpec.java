package dev.iommufd.contract.topology;

/**
 * One DMA-capable PCIe function.
 *
 * @param rid            segment:bus:device.function
 * @param sid            SMMUv3 stream id (null on VT-d, where the RID is the source id)
 * @param pasidBits      0 when the function has no PASID capability
 * @param priOutstanding PRI outstanding page-request allocation, 0 without PRI
 */
public record DeviceSpec(String rid, String iommu, String name, Integer sid, boolean ats, int pasidBits,
                         int priOutstanding, boolean dirty) {
}
