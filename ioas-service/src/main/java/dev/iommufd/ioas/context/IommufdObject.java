package dev.iommufd.ioas.context;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
import dev.iommufd.ioas.ioas.IoasObject;
import dev.iommufd.ioas.memory.MemoryObject;

/**
 * An entry of a context's object table. {@code users} counts references from other objects (and
 * other services), as the kernel's {@code obj->users}: a destroy while it is above zero is EBUSY.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = IoasObject.class, name = "IOAS"),
        @JsonSubTypes.Type(value = DeviceObject.class, name = "DEVICE"),
        @JsonSubTypes.Type(value = HwptPagingObject.class, name = "HWPT_PAGING"),
        @JsonSubTypes.Type(value = MemoryObject.class, name = "MEMORY"),
        @JsonSubTypes.Type(value = ExternalObject.class, name = "EXTERNAL"),
        @JsonSubTypes.Type(value = dev.iommufd.ioas.nesting.ViommuObject.class, name = "VIOMMU"),
        @JsonSubTypes.Type(value = dev.iommufd.ioas.nesting.VdeviceObject.class, name = "VDEVICE"),
        @JsonSubTypes.Type(value = dev.iommufd.ioas.nesting.NestedHwptObject.class, name = "HWPT_NESTED"),
        @JsonSubTypes.Type(value = dev.iommufd.ioas.nesting.VeventqObject.class, name = "VEVENTQ"),
})
public abstract class IommufdObject {
    public int id;
    public int users;

    public abstract ObjectType type();
}
