package dev.iommufd.fault.core;

/** Why fault-service answered a group INVALID itself (the tag of the auto-INVALID counter). */
public enum AutoInvalid {
    /** The device (RID or RID+PASID) left the fault-capable HWPT: FAULT_DETACH. */
    DETACH,
    /** The fault queue was destroyed. */
    DESTROY,
    /** The context closed. */
    CONTEXT_CLOSED,
    /** Nobody answered within {@code iommufd.fault.response-timeout}. */
    TIMEOUT,
    /** The request names a fault queue this deployment destroyed. */
    NO_QUEUE,
    /** The requester is not a device bound in the context (or ioas-service could not say). */
    NO_DEVICE;

    public String tag() {
        return name().toLowerCase().replace('_', '-');
    }
}
