package dev.iommufd.contract.events;

import java.util.List;

/**
 * SMMUv3 command-queue entries for {@code iommu} issued on behalf of {@code viommu}, already turned
 * into physical commands by viommu-service (vSID → physical SID, as the kernel's
 * {@code arm_vsmmu_convert_user_cmd}); hw-sim puts the vIOMMU's VMID into TLBI_NH_* commands itself.
 * One record may carry the commands of several client calls (a batch); order is kept.
 */
public record SmmuCommands(String iommu, String viommu, List<Cmd> cmds) implements EventPayload {

    /** One 128-bit command: word 0 holds the opcode in bits [7:0]. */
    public record Cmd(long w0, long w1) {}
}
