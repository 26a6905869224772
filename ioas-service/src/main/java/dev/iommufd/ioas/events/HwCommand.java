package dev.iommufd.ioas.events;

import dev.iommufd.contract.events.EventPayload;

/** A command for the hardware, queued by a state change: published on {@code key} after the change commits. */
public record HwCommand(String key, EventPayload payload, String correlationId) {
}
