package dev.iommufd.ioas.device;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.hwpt.HwptOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IOMMU_GET_HW_INFO: the IOMMU's identification registers as the guest-facing vIOMMU needs them,
 * derived from the topology's capabilities so the two always agree.
 */
public record HwInfo(String type, int maxPasidLog2, List<String> capabilities, Map<String, Object> data) {

    public static HwInfo of(Topology topo, DeviceObject d, String requestedType) {
        IommuSpec iommu = HwptOps.iommuOf(topo, d);
        DeviceSpec dev = HwptOps.deviceSpec(topo, d);
        if (requestedType != null && !requestedType.equals(iommu.type().name())) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "hw-info type %s is not %s's (%s)", requestedType, d.rid, iommu.type());
        }
        int pasidBits = iommu.has("PASID") ? dev.pasidBits() : 0;
        List<String> caps = new ArrayList<>();
        if (iommu.has("DIRTY_TRACKING") && dev.dirty()) {
            caps.add("DIRTY_TRACKING");
        }
        if (pasidBits > 0) {
            caps.add("PCI_PASID_EXEC");
            caps.add("PCI_PASID_PRIV");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        if (iommu.type() == IommuType.INTEL_VTD) {
            data.put("capReg", U64.of(vtdCap(iommu)));
            data.put("ecapReg", U64.of(vtdEcap(iommu)));
            data.put("flags", List.of());
        } else {
            data.put("idr", smmuIdr(iommu).stream().map(U64::of).toList());
            data.put("iidr", U64.of(0x43b)); // Arm implementer code
            data.put("aidr", U64.of(0x2)); // SMMUv3.2
        }
        return new HwInfo(iommu.type().name(), pasidBits, caps, data);
    }

    /**
     * VT-d CAP_REG: ND=2 (256 domains), SAGAW and MGAW from the topology's address width, SLLPS
     * 2M+1G, FL1GP, PSI, DWD/DRD; FL5LP with a 57-bit width.
     */
    static long vtdCap(IommuSpec i) {
        long cap = 2L;                                   // ND
        cap |= sagaw(i.addressWidth()) << 8;              // SAGAW: supported second-stage table depths
        cap |= (long) (i.addressWidth() - 1) << 16;       // MGAW
        cap |= 3L << 34;                                  // SLLPS: 2 MiB and 1 GiB
        cap |= 1L << 39;                                  // PSI: page-selective invalidation
        cap |= 1L << 54 | 1L << 55;                       // DWD, DRD
        cap |= 1L << 56;                                  // FL1GP
        if (i.addressWidth() >= 57) {
            cap |= 1L << 60;                              // FL5LP: 5-level first-stage tables
        }
        return cap;
    }

    /** SAGAW bits: 1 = 39-bit 3-level, 2 = 48-bit 4-level, 3 = 57-bit 5-level (which also does 4-level, as real parts). */
    static long sagaw(int width) {
        return switch (width) {
            case 39 -> 1L << 1;
            case 48 -> 1L << 2;
            case 57 -> 1L << 2 | 1L << 3;
            default -> throw new IllegalArgumentException("no VT-d table depth for a " + width + "-bit address width");
        };
    }

    /** IDR5.OAS: the SMMUv3 output address size encoding. */
    static long smmuOas(int width) {
        return switch (width) {
            case 32 -> 0;
            case 36 -> 1;
            case 40 -> 2;
            case 42 -> 3;
            case 44 -> 4;
            case 48 -> 5;
            case 52 -> 6;
            default -> throw new IllegalArgumentException("no SMMUv3 OAS encoding for a " + width + "-bit address width");
        };
    }

    /** VT-d ECAP_REG bits for the capabilities the topology lists. */
    static long vtdEcap(IommuSpec i) {
        long e = 1L << 1;                                 // QI: queued invalidation
        e |= 1L << 2;                                     // DT: device-TLB (ATS)
        if (i.has("ENFORCE_COHERENCY")) {
            e |= 1L << 7;                                 // SC: snoop control
        }
        if (i.has("NESTING")) {
            e |= 1L << 26 | 1L << 57;                     // NEST, SMTS
        }
        if (i.has("PAGE_REQUESTS")) {
            e |= 1L << 29;                                // PRS
        }
        if (i.has("PASID")) {
            e |= 1L << 40 | (long) (i.pasidBits() - 1) << 35; // PASID, PSS
        }
        if (i.has("DIRTY_TRACKING")) {
            e |= 1L << 47;                                // SSADS: second-stage A/D
        }
        return e;
    }

    /** SMMUv3 IDR0…IDR5. */
    static List<Long> smmuIdr(IommuSpec i) {
        long idr0 = 1L | 1L << 1 | 2L << 2 | 1L << 4 | 1L << 10; // S2P S1P TTF=AArch64 COHACC ATS
        if (i.has("PAGE_REQUESTS")) {
            idr0 |= 1L << 16;                                      // PRI
        }
        if (i.has("DIRTY_TRACKING")) {
            idr0 |= 2L << 6;                                       // HTTU: access and dirty
        }
        long idr1 = 16L | (long) (i.has("PASID") ? i.pasidBits() : 0) << 6; // SIDSIZE 16, SSIDSIZE
        long idr3 = i.has("RANGE_INVALIDATION") ? 1L << 10 : 0;  // RIL
        long idr5 = smmuOas(i.addressWidth()) | 1L << 4 | 1L << 5 | 1L << 6; // OAS, GRAN4K/16K/64K
        return List.of(idr0, idr1, 0L, idr3, 0L, idr5);
    }
}
