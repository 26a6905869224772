package dev.iommufd.contract.events;

/**
 * ioas-service → viommu-service on {@link Topics#CONTEXTS} (key: context id), through the outbox in
 * the transaction of the unbind that force-destroyed vdevice {@code vdeviceId} of device {@code rid}
 * (the kernel's {@code iommufd_device_unbind} → {@code iommufd_vdevice_abort}). viommu-service drops
 * its row, so the vSID no longer translates or routes events; the id stays reserved in ioas-service
 * (a later IOMMU_DESTROY of it answers ENOENT). At least once: deleting a row already gone changes nothing.
 */
public record VdeviceGone(String contextId, int vdeviceId, String rid) implements EventPayload {
}
