package dev.iommufd.contract.events;

import java.util.List;

/** The Kafka topics of the event contract (docs/events.md). Keys keep per-queue order. */
public final class Topics {
    private Topics() {}

    /** Control plane → hw-sim: page-table programming, invalidations, sync (completion requests). Key: IOMMU id. */
    public static final String HW_COMMANDS = "iommufd.hw.commands";
    /** hw-sim → control plane: completions of sync requests. Key: IOMMU id. */
    public static final String HW_COMPLETIONS = "iommufd.hw.completions";
    /** hw-sim → fault-service: PRI page requests. Key: IOMMU id. */
    public static final String HW_PAGE_REQUESTS = "iommufd.hw.page-requests";
    /** hw-sim → viommu-service: recorded hardware events (SMMUv3 event records, VT-d faults). Key: IOMMU id. */
    public static final String HW_EVENTS = "iommufd.hw.events";
    /** ioas-service → every service: context lifecycle (CONTEXT_CLOSED). Key: context id. */
    public static final String CONTEXTS = "iommufd.contexts";
    /** Events no consumer could apply, with the reason in headers; the stream keeps flowing. */
    public static final String DEAD_LETTER = "iommufd.dead-letter";

    /** The topic a payload travels on (each kind has exactly one). */
    public static String of(EventPayload p) {
        if (p instanceof ContextClosed || p instanceof FaultDetach || p instanceof VdeviceGone) {
            return CONTEXTS;
        }
        if (p instanceof Completion || p instanceof DirtyReport) {
            return HW_COMPLETIONS;
        }
        if (p instanceof PageRequest) {
            return HW_PAGE_REQUESTS;
        }
        if (p instanceof HwEvent) {
            return HW_EVENTS;
        }
        return HW_COMMANDS;
    }

    public static final List<String> ALL = List.of(HW_COMMANDS, HW_COMPLETIONS, HW_PAGE_REQUESTS, HW_EVENTS, CONTEXTS, DEAD_LETTER);
}
