package dev.iommufd.contract.events;

/**
 * ioas-service → fault-service on {@link Topics#CONTEXTS} (key: context id), through the outbox in
 * the transaction of the attach change: device {@code rid} (RID when {@code pasid} is null) no
 * longer translates through a HWPT with fault queue {@code faultId} (detach, replace, unbind, or
 * the HWPT's destroy). Its pending page-request groups in that queue are answered INVALID.
 */
public record FaultDetach(String contextId, int faultId, String rid, Integer pasid) implements EventPayload {
}
