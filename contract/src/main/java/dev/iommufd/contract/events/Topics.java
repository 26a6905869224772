package dev.iommufd.contract.events;

import java.util.List;

/** The Kafka topics of the event contract (docs/events.md). Keys keep per-queue order. */
public final class Topics {
    private Topics() {}

    /** Control plane → hw-sim: page-table programming, invalidations, sync (completion requests). Key: IOMMU id. */
    public static final String HW_COMMANDS = "iommufd.hw.commands";
    /** hw-sim → control plane: completions of sync requests. Key: IOMMU id. */
    public static final String HW_COMPLETIONS = "iommufd.hw.completions";
    /** ioas-service → every service: context lifecycle (CONTEXT_CLOSED). Key: context id. */
    public static final String CONTEXTS = "iommufd.contexts";
    /** Events no consumer could apply, with the reason in headers; the stream keeps flowing. */
    public static final String DEAD_LETTER = "iommufd.dead-letter";

    public static final List<String> ALL = List.of(HW_COMMANDS, HW_COMPLETIONS, CONTEXTS, DEAD_LETTER);
}
