package dev.iommufd.contract.events;

import java.util.List;

/**
 * An unrecoverable fault the hardware recorded (SMMUv3 event record, VT-d fault record), hw-sim →
 * viommu-service on {@link Topics#HW_EVENTS} (key: IOMMU id).
 *
 * @param sid    SMMUv3 physical StreamID, null for VT-d
 * @param domain the domain the device was attached to, null if none
 * @param type   symbolic name: SMMUv3 F_TRANSLATION, F_PERMISSION, C_BAD_STE, …; VT-d the fault reason name
 * @param code   SMMUv3 event type number (0x10 …) or VT-d fault reason
 * @param evt    the raw record: 4 × 64-bit words for SMMUv3 (as the vEVENTQ carries it), 2 for VT-d
 */
public record HwEvent(String iommu, String rid, Integer sid, Integer pasid, String domain, String type, int code,
                      long addr, List<Long> evt) implements EventPayload {
}
