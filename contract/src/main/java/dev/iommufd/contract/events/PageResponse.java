package dev.iommufd.contract.events;

/**
 * The response to a page-request group (PCIe PRG response), fault-service → hw-sim on
 * {@link Topics#HW_COMMANDS} (key: IOMMU id, so it is ordered with the device's attach commands).
 * {@code code}: SUCCESS (retry the translation) or INVALID (abort). A response for a group the
 * device does not have outstanding is counted and ignored, as hardware does.
 */
public record PageResponse(String iommu, String rid, Integer pasid, int grpid, String code) implements EventPayload {
}
