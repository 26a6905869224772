package dev.iommufd.sim.walk;

/** Outcome of a nested walk: a translation or a fault of the architecture that walked. */
public sealed interface WalkResult permits WalkResult.Translated, WalkResult.Fault {

    /**
     * A successful walk.
     *
     * @param hostPa host physical address of the access (stage 1, then stage 2)
     * @param ipa the stage-1 output (guest-physical address / IPA)
     * @param pageSize size of the combined translation: the smaller of the stage-1 leaf and the
     *     stage-2 leaf (as QEMU's {@code combine_tlb}); the IOTLB entry may cover this much
     * @param level the stage-1 leaf level (VT-d: 1 = 4K PTE, 2 = 2M PDE, 3 = 1G PDPE; VMSAv8-64
     *     4K granule: 3 = page, 2 = 2M block, 1 = 1G block)
     * @param read effective read permission (stage 1 and stage 2)
     * @param write effective write permission (stage 1 and stage 2)
     * @param asid the CD's ASID for SMMUv3, null for VT-d and for stage-1 bypass
     */
    record Translated(long hostPa, long ipa, long pageSize, int level, boolean read, boolean write, Integer asid)
            implements WalkResult {}

    /**
     * A failed walk.
     *
     * @param arch "VTD" or "SMMUV3"
     * @param code VT-d fault reason or SMMUv3 event type; 0 for an SMMUv3 STE abort (no event)
     * @param name symbolic name of the code (VT-d: QEMU's VTD_FR_* without prefix; SMMUv3: SMMU_EVT_*)
     * @param address the input address (IOVA) of the faulting access
     * @param stage2 the fault was raised by the stage-2 (nest parent) translation (SMMUv3 event S2 bit)
     * @param faultClass SMMUv3 CLASS: "CD" (CD fetch), "TT" (stage-1 table walk), "IN" (input address);
     *     null for VT-d
     * @param address2 SMMUv3 ADDR2 / VT-d detail: the IPA whose stage-2 translation failed, or the
     *     address of the fetch that aborted; 0 when not applicable
     * @param recorded whether the hardware writes an event / fault record for it (SMMUv3: aborts are
     *     silent; F_TRANSLATION/ADDR_SIZE/ACCESS/PERMISSION of stage 1 only with CD.R)
     * @param reason human-readable explanation
     */
    record Fault(String arch, int code, String name, long address, boolean stage2, String faultClass,
            long address2, boolean recorded, String reason) implements WalkResult {}
}
