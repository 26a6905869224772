package dev.iommufd.ioas.nesting;

import dev.iommufd.ioas.context.ExternalObject;
import dev.iommufd.ioas.context.ObjectType;

/** A vEVENTQ: holds its vIOMMU; one per type per vIOMMU (EEXIST), checked here under the context lock. */
public class VeventqObject extends ExternalObject {
    public int viommuId;
    public String veventqType;

    public VeventqObject() {
        kind = ObjectType.VEVENTQ;
    }
}
