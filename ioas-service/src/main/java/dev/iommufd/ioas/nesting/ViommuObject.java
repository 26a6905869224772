package dev.iommufd.ioas.nesting;

import dev.iommufd.ioas.context.ExternalObject;
import dev.iommufd.ioas.context.ObjectType;

/**
 * ioas-service's entry for a vIOMMU (state in viommu-service): what the object table needs for the
 * lifetime rules (it holds its NEST_PARENT HWPT; vdevices, nested HWPTs and vEVENTQs hold it) and
 * for attach checks. Users are counted here so every refcount of the context moves under its row lock.
 */
public class ViommuObject extends ExternalObject {
    public String viommuType;
    public String iommu;
    public int deviceId;
    public int parentHwptId;

    public ViommuObject() {
        kind = ObjectType.VIOMMU;
    }
}
