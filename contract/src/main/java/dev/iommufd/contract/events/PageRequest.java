package dev.iommufd.contract.events;

/**
 * One PCIe page request (PRI) from hw-sim ({@link Topics#HW_PAGE_REQUESTS}, key: IOMMU id; the
 * envelope's contextId is the domain's context). A group is complete with its {@code last} request.
 *
 * @param rid     requester
 * @param pasid   PASID of the request, null without one
 * @param grpid   page request group index (PRGI, 9 bits)
 * @param addr    4 KiB page address
 * @param domain  the domain the request was translated through ({@code <context>/<hwpt id>})
 * @param faultId fault queue of that HWPT in the context
 */
public record PageRequest(String iommu, String rid, Integer pasid, int grpid, boolean read, boolean write,
                          boolean exec, boolean priv, long addr, boolean last, String domain, int faultId)
        implements EventPayload {
}
