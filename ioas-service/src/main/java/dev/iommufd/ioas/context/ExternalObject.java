package dev.iommufd.ioas.context;

/** An object whose state lives in another service (vIOMMU, nested HWPT, FAULT…): only its id, type and users here. */
public class ExternalObject extends IommufdObject {
    public ObjectType kind;

    @Override
    public ObjectType type() {
        return kind;
    }
}
