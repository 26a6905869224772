package dev.iommufd.viommu.support;

/** Read access to the stand-in's table for assertions. */
public final class IoasStandInAccess {
    private IoasStandInAccess() {}

    public static int objects(String ctx) {
        return IoasStandIn.ctx(ctx).objects.size();
    }
}
