package dev.iommufd.contract.events;

/** The device's RID ({@code pasid} null) or RID+PASID now translates through {@code domain}; null domain = blocked. */
public record AttachDevice(String rid, Integer pasid, String domain) implements EventPayload {
}
