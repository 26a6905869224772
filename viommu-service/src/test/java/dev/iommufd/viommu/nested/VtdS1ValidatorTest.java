package dev.iommufd.viommu.nested;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.NestedDomainCreate.VtdS1;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdS1ValidatorTest {
    static Errno errno(List<String> flags, long width, int iommuWidth) {
        return assertThrows(ErrnoException.class, () -> VtdS1Validator.validate(flags, 0x1000, width, iommuWidth)).errno();
    }

    @Test
    void flagsAndWidths() {
        assertEquals(new VtdS1(0x1000, 48, true, true, true), VtdS1Validator.validate(List.of("SRE", "EAFE", "WPE"), 0x1000, 48, 48));
        assertEquals(new VtdS1(0x1000, 57, false, false, false), VtdS1Validator.validate(null, 0x1000, 57, 57));
        assertEquals(Errno.EOPNOTSUPP, errno(List.of("SRE", "NOPE"), 48, 48));
        for (long w : new long[] {0, 39, 47, 49, 56, 58, 64}) {
            assertEquals(Errno.EINVAL, errno(List.of(), w, 57), "width " + w);
        }
        assertEquals(Errno.EINVAL, errno(List.of(), 57, 48));   // no FL5LP on a 48-bit IOMMU
    }
}
