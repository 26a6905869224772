package dev.iommufd.sim.dma;

/** How far one pass of the DMA engine over a {@link DmaJob} got. */
public sealed interface DmaStep permits DmaStep.Done, DmaStep.PageMiss {

    /** The DMA ended: OK or FAULT. */
    record Done(DmaResult result) implements DmaStep {}

    /**
     * A translation miss the device may resolve with a page request: the job stopped at
     * {@code page} of {@code domain}, whose HWPT has fault queue {@code faultId}.
     */
    record PageMiss(String domain, int faultId, long page) implements DmaStep {}
}
