package dev.iommufd.contract.api;

/** Mandatory request fields: a missing one is 400 EINVAL. */
public final class Require {
    private Require() {}

    public static <T> T field(T value, String name) {
        if (value == null) {
            throw ErrnoException.of(Errno.EINVAL, "missing field '%s'", name);
        }
        return value;
    }

    public static <T> T body(T value) {
        if (value == null) {
            throw ErrnoException.of(Errno.EINVAL, "missing JSON body");
        }
        return value;
    }
}
