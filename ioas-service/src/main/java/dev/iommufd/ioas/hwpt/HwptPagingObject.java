package dev.iommufd.ioas.hwpt;

import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;
import java.util.EnumSet;

/** A paging HWPT: an IOMMU domain whose page table mirrors its IOAS. Each RID or PASID attachment holds one user. */
public class HwptPagingObject extends IommufdObject {
    public enum Flag { NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID, PASID }

    public int ioasId;
    /** The IOMMU instance it was created for (an SMMUv3 domain is bound to it). */
    public String iommu;
    public String iommuType;
    /** Created for a device whose IOMMU enforces cache coherency (snoop control). */
    public boolean enforceCoherency;
    public int addressWidth;
    /** Kernel-managed: created on attach to an IOAS id, freed with its last device. */
    public boolean auto;
    public EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
    public Integer faultId;
    public boolean dirtyTracking;

    @Override
    public ObjectType type() {
        return ObjectType.HWPT_PAGING;
    }

    public boolean has(Flag f) {
        return flags.contains(f);
    }
}
