package dev.iommufd.fault.core;

import dev.iommufd.contract.events.PageRequest;

/**
 * What makes requests one page-request group: the queue they go to, the requester, its PASID (null
 * without one) and the PRGI. A response covers the group (PCIe PRG response).
 */
public record GroupKey(String contextId, int faultId, String rid, Integer pasid, int grpid) {
    public static GroupKey of(String contextId, PageRequest r) {
        return new GroupKey(contextId, r.faultId(), r.rid(), r.pasid(), r.grpid());
    }
}
