package dev.iommufd.ioas.device;

import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;
import java.util.TreeMap;

/** A bound device (VFIO cdev bound to the context) and what its RID and PASIDs are attached to. */
public class DeviceObject extends IommufdObject {
    public String rid;
    public String iommu;
    /** The device has an ATC (PCIe ATS): unmaps must invalidate it too. */
    public boolean ats;
    /** HWPT the RID is attached to, or null (DMA blocked). */
    public Integer attachedHwpt;
    public TreeMap<Integer, Integer> pasids = new TreeMap<>();

    @Override
    public ObjectType type() {
        return ObjectType.DEVICE;
    }
}
