package dev.iommufd.contract.topology;

import dev.iommufd.contract.api.U64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The simulated platform as hw-sim serves it at /v1/hw/iommus and /v1/hw/devices: IOMMU instances and the devices behind them. */
public record Topology(List<IommuSpec> iommus, List<DeviceSpec> devices) {

    public Optional<IommuSpec> iommu(String id) {
        return iommus.stream().filter(i -> i.id().equals(id)).findFirst();
    }

    public Optional<DeviceSpec> device(String rid) {
        return devices.stream().filter(d -> d.rid().equals(rid)).findFirst();
    }

    /** The default platform of API.md. */
    public static Topology defaults() {
        List<ReservedRegion> vtdMsi = List.of(new ReservedRegion(U64.of(0xfee00000L), U64.of(0xfeefffffL), "MSI"));
        List<ReservedRegion> smmuMsi = List.of(new ReservedRegion(U64.of(0x8000000L), U64.of(0x80fffffL), "SW_MSI"));
        return new Topology(
                List.of(
                        new IommuSpec("dmar0", IommuType.INTEL_VTD, 48,
                                Set.of("NESTING", "DIRTY_TRACKING", "PASID", "PAGE_REQUESTS", "ENFORCE_COHERENCY"), 20, 1024, vtdMsi),
                        new IommuSpec("dmar1", IommuType.INTEL_VTD, 48, Set.of(), 0, 1024, vtdMsi),
                        new IommuSpec("smmu0", IommuType.ARM_SMMUV3, 48,
                                Set.of("NESTING", "DIRTY_TRACKING", "PASID", "PAGE_REQUESTS", "ENFORCE_COHERENCY", "RANGE_INVALIDATION"),
                                20, 256, smmuMsi)),
                List.of(
                        new DeviceSpec("0000:00:02.0", "dmar1", "graphics", null, false, 0, 0, false),
                        new DeviceSpec("0000:03:00.0", "dmar0", "nic", null, true, 20, 32, true),
                        new DeviceSpec("0000:04:00.0", "dmar0", "accelerator", null, true, 20, 64, true),
                        new DeviceSpec("0000:05:00.0", "dmar0", "storage", null, false, 0, 0, false),
                        new DeviceSpec("0001:00:01.0", "smmu0", "smmu-dev-8", 0x8, true, 20, 32, true),
                        new DeviceSpec("0001:00:02.0", "smmu0", "smmu-dev-16", 0x10, false, 0, 0, false)));
    }
}
