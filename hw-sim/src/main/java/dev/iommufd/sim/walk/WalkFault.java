package dev.iommufd.sim.walk;

/** Carries a {@link WalkResult.Fault} out of the steps of a walk (no stack trace: cheap). */
public final class WalkFault extends Exception {
    private final transient WalkResult.Fault fault;

    public WalkFault(WalkResult.Fault fault) {
        super(fault.name() + ": " + fault.reason(), null, false, false);
        this.fault = fault;
    }

    public WalkResult.Fault fault() {
        return fault;
    }
}
