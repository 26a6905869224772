package dev.iommufd.ioas.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The identification registers follow the topology's address width (a custom YAML topology may use any the hardware has). */
class HwInfoTest {
    static IommuSpec iommu(IommuType type, int width) {
        return new IommuSpec("x0", type, width, Set.of(), 0, 64, List.of());
    }

    static long field(long reg, int lo, int bits) {
        return reg >>> lo & ((1L << bits) - 1);
    }

    @Test
    void vtdSagawMgawAndFiveLevelFollowTheWidth() {
        long c39 = HwInfo.vtdCap(iommu(IommuType.INTEL_VTD, 39));
        long c48 = HwInfo.vtdCap(iommu(IommuType.INTEL_VTD, 48));
        long c57 = HwInfo.vtdCap(iommu(IommuType.INTEL_VTD, 57));
        assertEquals(0b00010, field(c39, 8, 5));
        assertEquals(0b00100, field(c48, 8, 5));
        assertEquals(0b01100, field(c57, 8, 5));
        assertEquals(38, field(c39, 16, 6));
        assertEquals(47, field(c48, 16, 6));
        assertEquals(56, field(c57, 16, 6));
        assertEquals(0, field(c48, 60, 1));
        assertEquals(1, field(c57, 60, 1));
        assertThrows(IllegalArgumentException.class, () -> HwInfo.vtdCap(iommu(IommuType.INTEL_VTD, 40)));
    }

    @Test
    void smmuOasFollowsTheWidth() {
        int[] widths = {32, 36, 40, 42, 44, 48, 52};
        for (int enc = 0; enc < widths.length; enc++) {
            long idr5 = HwInfo.smmuIdr(iommu(IommuType.ARM_SMMUV3, widths[enc])).get(5);
            assertEquals(enc, field(idr5, 0, 3), widths[enc] + "-bit");
            assertEquals(0b111, field(idr5, 4, 3), "granules 4K/16K/64K");
        }
        assertThrows(IllegalArgumentException.class, () -> HwInfo.smmuIdr(iommu(IommuType.ARM_SMMUV3, 39)));
    }
}
