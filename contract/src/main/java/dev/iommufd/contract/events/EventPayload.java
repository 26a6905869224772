package dev.iommufd.contract.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** The typed body of an event; {@code kind} names the type on the wire. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SyncRequest.class, name = "SYNC"),
        @JsonSubTypes.Type(value = Completion.class, name = "COMPLETION"),
        @JsonSubTypes.Type(value = DomainCreate.class, name = "DOMAIN_CREATE"),
        @JsonSubTypes.Type(value = DomainDestroy.class, name = "DOMAIN_DESTROY"),
        @JsonSubTypes.Type(value = MapRange.class, name = "MAP"),
        @JsonSubTypes.Type(value = UnmapRange.class, name = "UNMAP"),
        @JsonSubTypes.Type(value = AttachDevice.class, name = "ATTACH"),
        @JsonSubTypes.Type(value = InvalidateIotlb.class, name = "INV_IOTLB"),
        @JsonSubTypes.Type(value = InvalidateAtc.class, name = "INV_ATC"),
        @JsonSubTypes.Type(value = SetDirtyTracking.class, name = "SET_DIRTY_TRACKING"),
        @JsonSubTypes.Type(value = ReadDirty.class, name = "READ_DIRTY"),
        @JsonSubTypes.Type(value = DirtyReport.class, name = "DIRTY_REPORT"),
        @JsonSubTypes.Type(value = ContextClosed.class, name = "CONTEXT_CLOSED"),
        @JsonSubTypes.Type(value = NestedDomainCreate.class, name = "NESTED_DOMAIN_CREATE"),
        @JsonSubTypes.Type(value = ViommuAlloc.class, name = "VIOMMU_ALLOC"),
        @JsonSubTypes.Type(value = ViommuFree.class, name = "VIOMMU_FREE"),
        @JsonSubTypes.Type(value = SmmuCommands.class, name = "SMMU_CMDS"),
        @JsonSubTypes.Type(value = PageRequest.class, name = "PAGE_REQUEST"),
        @JsonSubTypes.Type(value = PageResponse.class, name = "PAGE_RESPONSE"),
        @JsonSubTypes.Type(value = HwEvent.class, name = "HW_EVENT"),
        @JsonSubTypes.Type(value = FaultDetach.class, name = "FAULT_DETACH"),
        @JsonSubTypes.Type(value = VdeviceGone.class, name = "VDEVICE_GONE"),
        @JsonSubTypes.Type(value = InvalidateBatch.class, name = "INV_BATCH"),
})
public sealed interface EventPayload permits SyncRequest, Completion, DomainCreate, DomainDestroy, MapRange, UnmapRange,
        AttachDevice, InvalidateIotlb, InvalidateAtc, SetDirtyTracking, ReadDirty, DirtyReport, ContextClosed,
        NestedDomainCreate, ViommuAlloc, ViommuFree, SmmuCommands, PageRequest, PageResponse, HwEvent, FaultDetach,
        VdeviceGone, InvalidateBatch {
}
