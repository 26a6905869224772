package dev.iommufd.contract.api;

/** The errno names of API.md with the HTTP status each one maps to. */
public enum Errno {
    EINVAL(400), E2BIG(400), EOVERFLOW(400), EFAULT(400),
    EACCES(401),
    EPERM(403),
    ENOENT(404),
    EBUSY(409), EEXIST(409), EADDRINUSE(409), ENOSPC(409), ENODEV(409),
    EOPNOTSUPP(422), EIO(422);

    private final int status;

    Errno(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }
}
