package dev.iommufd.ioas.nesting;

import dev.iommufd.ioas.context.ExternalObject;
import dev.iommufd.ioas.context.ObjectType;

/** A vdevice (virtId → device in a vIOMMU), kept here for the EEXIST rules, nested attach and unbind. */
public class VdeviceObject extends ExternalObject {
    public int viommuId;
    public int deviceId;
    public long virtId;

    public VdeviceObject() {
        kind = ObjectType.VDEVICE;
    }
}
