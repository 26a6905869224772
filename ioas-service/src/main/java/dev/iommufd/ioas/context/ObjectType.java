package dev.iommufd.ioas.context;

/** iommufd object types; all share one id space per context. */
public enum ObjectType {
    IOAS, DEVICE, HWPT_PAGING, HWPT_NESTED, VIOMMU, VDEVICE, FAULT, VEVENTQ, MEMORY;

    /** The service that keeps the object's state (ids are always allocated by ioas-service). */
    public String owner() {
        return switch (this) {
            case IOAS, DEVICE, HWPT_PAGING, MEMORY -> "ioas-service";
            case HWPT_NESTED, VIOMMU, VDEVICE, VEVENTQ -> "viommu-service";
            case FAULT -> "fault-service";
        };
    }
}
