package dev.iommufd.ioas.nesting;

import dev.iommufd.ioas.context.ExternalObject;
import dev.iommufd.ioas.context.ObjectType;

/**
 * A nested HWPT (guest stage-1 data in viommu-service): devices attach to it here, so its parent,
 * vIOMMU and home IOMMU are kept for the attach rules. Made from a vIOMMU it holds the vIOMMU
 * (which holds the parent), else it holds its NEST_PARENT parent directly.
 */
public class NestedHwptObject extends ExternalObject {
    public String iommu;
    public String iommuType;
    public int parentHwptId;
    public Integer viommuId;
    public Integer faultId;
    public boolean pasid;

    public NestedHwptObject() {
        kind = ObjectType.HWPT_NESTED;
    }
}
