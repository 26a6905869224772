package dev.iommufd.viommu.nested;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.events.NestedDomainCreate.VtdS1;
import java.util.List;
import java.util.Set;

/**
 * IOMMU_HWPT_DATA_VTD_S1: an unknown flag is EOPNOTSUPP (uAPI flag bits); the first-stage
 * address width must be 48 (4-level) or 57 (5-level), and 57 needs an IOMMU with 5-level
 * first-stage tables (FL5LP, which follows the IOMMU's address width here) — else EINVAL, as the
 * kernel's {@code intel_pasid_setup_nested}. {@code pgtblAddr} is a guest physical address the
 * kernel does not check either.
 */
public final class VtdS1Validator {
    private VtdS1Validator() {}

    public enum Flag { SRE, EAFE, WPE }

    public static VtdS1 validate(List<String> flags, long pgtblAddr, long addrWidth, int iommuAddressWidth) {
        Set<Flag> f = Flags.parse(flags, Flag.class);
        if (addrWidth != 48 && addrWidth != 57) {
            throw ErrnoException.of(Errno.EINVAL, "addrWidth %d is neither 48 nor 57", addrWidth);
        }
        if (addrWidth == 57 && iommuAddressWidth < 57) {
            throw ErrnoException.of(Errno.EINVAL, "5-level first-stage tables need FL5LP (a %d-bit IOMMU has none)", iommuAddressWidth);
        }
        return new VtdS1(pgtblAddr, (int) addrWidth, f.contains(Flag.SRE), f.contains(Flag.EAFE), f.contains(Flag.WPE));
    }
}
