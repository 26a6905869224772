package dev.iommufd.contract.events;

import java.util.List;

/**
 * Several invalidation descriptors for {@code iommu} in one record, applied in order, as a run of
 * VT-d invalidation-queue descriptors: each is {@link InvalidateIotlb} when {@code domain} is set,
 * {@link InvalidateAtc} of {@code rid} when {@code rid} is set (exactly one of the two), with the
 * same range rules (length 0 = all). Lets viommu-service put a whole batch of user invalidations
 * (many entries, many client calls) into one record instead of one record per descriptor.
 */
public record InvalidateBatch(String iommu, List<Inv> invs) implements EventPayload {

    /** One descriptor: IOTLB of {@code domain} or device-TLB of {@code rid} over [iova, iova+length). */
    public record Inv(String domain, String rid, long iova, long length) {
        public static Inv iotlb(String domain, long iova, long length) {
            return new Inv(domain, null, iova, length);
        }

        public static Inv atc(String rid, long iova, long length) {
            return new Inv(null, rid, iova, length);
        }
    }
}
