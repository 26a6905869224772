package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventPayload;

/**
 * A command for the hardware, queued by a state change: published on {@code key} after the change
 * commits. A {@code deferred} command (a LAZY unmap's IOTLB/ATC invalidation) waits in the outbox
 * for the lazy flush: a full batch or the maximum delay, whichever comes first.
 */
public record HwCommand(String key, EventPayload payload, boolean deferred) {
}
