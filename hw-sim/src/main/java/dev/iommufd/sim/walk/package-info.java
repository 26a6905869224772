/**
 * Nested (guest stage-1) page-table walkers in simulated memory, plain Java.
 *
 * <ul>
 *   <li>{@link dev.iommufd.sim.walk.Stage2}: the nest parent (GPA/IPA → host PA), over a
 *       {@link dev.iommufd.sim.pagetable.DomainTable} or the identity.</li>
 *   <li>{@link dev.iommufd.sim.walk.GuestMemory}: every descriptor fetch and A/D update goes
 *       through the stage 2, then {@link dev.iommufd.sim.memory.HostMemory}.</li>
 *   <li>{@link dev.iommufd.sim.walk.VtdFirstLevelWalker} ({@code VTD_S1}) and
 *       {@link dev.iommufd.sim.walk.SmmuV3Stage1Walker} ({@code ARM_SMMUV3}).</li>
 * </ul>
 *
 * <p>Choices where the sources leave room (sources: QEMU {@code hw/i386/intel_iommu.c}
 * {@code vtd_iova_to_flpte}, QEMU FS patches {@code VTDFaultReason}, Linux {@code dmar.c}
 * {@code dma_remap_sm_fault_reasons}; legoater/qemu {@code smmu-common.c} {@code smmu_ptw_64_s1},
 * {@code smmuv3.c} {@code decode_cd}/{@code smmuv3_do_translate}; Linux {@code arm-smmu-v3.h}):
 * <ul>
 *   <li>VT-d stage-2 failures: fetching the top-level table → 0x75, a lower table → 0x76 (nested
 *       read-permission reasons; a missing stage-2 mapping counts as R=0); A/D write refused by
 *       stage 2 → 0x77; any GPA beyond the stage-2 width → 0x74; final output not mapped → 0x79
 *       (second-stage entry R=W=0), read-only for a write → 0x85, not readable → 0x86; external
 *       aborts → 0x73 (top table) / 0x70 / 0x91 (A/D write).</li>
 *   <li>VT-d A/D: A set in every entry used, D in the leaf of a write, as QEMU; EA (bit 10) as well
 *       when EAFE=1. Reserved bits are checked before U/S and R/W (QEMU checks R/W first).</li>
 *   <li>SMMUv3: a stage-2 failure on a CD or table fetch is the stage-2 fault itself (F_TRANSLATION /
 *       F_PERMISSION, S2=1, CLASS=CD/TT), as QEMU; F_CD_FETCH / F_WALK_EABT only for external aborts.
 *       Only the 4 KiB granule is supported (16K/64K TG → C_BAD_CD). Hierarchical APTable rights
 *       are combined and checked at the leaf; address size (table or output) before AF before
 *       permission (ARM ARM priority; QEMU checks the output size last and APTable at the table).
 *       AP[1]=0 denies unprivileged accesses (QEMU ignores AP[1]). STE abort → code 0, no event.</li>
 * </ul>
 */
package dev.iommufd.sim.walk;
