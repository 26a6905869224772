package dev.iommufd.sim.walk;

/**
 * VT-d first-stage (first-level) walk of a nested domain ({@code VTD_S1}): the guest's x86-64
 * 4-level (addrWidth 48) or 5-level (57) page table, read from simulated memory with every table
 * pointer translated by the stage-2 parent.
 *
 * <p>Entry format (x86-64 paging, VT-d spec ch. 9.7): P bit 0, R/W bit 1, U/S bit 2, A bit 5,
 * D bit 6, PS bit 7 (PDE/PDPE only; reserved in PML4E/PML5E, PAT in a PTE), EA bit 10, address
 * bits 51:12, bits 62:52 ignored, XD bit 63 (ignored: DMA never executes). Reserved bits as QEMU's
 * {@code vtd_fpte_rsvd*}: address bits 51:outputWidth, PS in PML4E/PML5E, bits 20:13 of a 2M
 * leaf, bits 29:13 of a 1G leaf.
 *
 * <p>Checks per level, in this order: stage-2 fetch, P, reserved bits, U/S (user requests), R/W
 * (writes of user requests, and of supervisor requests when WPE=1) — QEMU's
 * {@code vtd_iova_to_flpte} order, except that reserved bits are checked before permissions (x86
 * order). Then A is set in every entry used, D in the leaf of a write, EA as well when EAFE=1, as
 * QEMU does (write back through stage 2, only when the bit is still clear). Fault reasons are the
 * VT-d scalable-mode codes (QEMU {@code VTDFaultReason}, Linux {@code dma_remap_sm_fault_reasons}).
 */
public final class VtdFirstLevelWalker {
    public static final String ARCH = "VTD";

    // Fault reasons (VT-d spec 7.1.3, scalable mode).
    public static final int FR_SM_SRE_CLEAR = 0x5d;
    public static final int FR_FS_PAGING_ENTRY_INV = 0x70;
    public static final int FR_FS_PAGING_ENTRY_P = 0x71;
    public static final int FR_FS_PAGING_ENTRY_RSVD = 0x72;
    public static final int FR_PASID_ENTRY_FSPTPTR_INV = 0x73;
    public static final int FR_NESTED_FS_ADDR_BEYOND_MGAW = 0x74;
    public static final int FR_NESTED_FSPTPTR_READ = 0x75;
    public static final int FR_NESTED_FS_ENTRY_READ = 0x76;
    public static final int FR_NESTED_FS_ENTRY_WRITE = 0x77;
    public static final int FR_SS_PAGING_ENTRY_RW = 0x79;
    public static final int FR_FS_NON_CANONICAL = 0x80;
    public static final int FR_FS_PAGING_ENTRY_US = 0x81;
    public static final int FR_SM_WRITE = 0x85;
    public static final int FR_SM_READ = 0x86;
    public static final int FR_FS_BIT_UPDATE_FAILED = 0x91;

    // Entry bits.
    public static final long P = 1L;
    public static final long RW = 1L << 1;
    public static final long US = 1L << 2;
    public static final long A = 1L << 5;
    public static final long D = 1L << 6;
    public static final long PS = 1L << 7;
    public static final long EA = 1L << 10;
    public static final long XD = 1L << 63;
    public static final long ADDR_MASK = 0x000f_ffff_ffff_f000L;

    /** The {@code VTD_S1} nested-HWPT data: flags SRE/EAFE/WPE, first-stage table GPA, 48 or 57. */
    public record Config(long pgtblAddr, int addrWidth, boolean sre, boolean eafe, boolean wpe) {
        public Config {
            if (addrWidth != 48 && addrWidth != 57) {
                throw new IllegalArgumentException("addrWidth must be 48 or 57, not " + addrWidth);
            }
        }

        public int levels() {
            return addrWidth == 57 ? 5 : 4;
        }
    }

    private final GuestMemory memory;
    private final int outputWidth;

    /**
     * @param memory guest memory behind the stage-2 parent
     * @param outputWidth address width of first-stage outputs and table pointers (the IOMMU's
     *     MGAW, 48 for dmar0): address bits 51:outputWidth of an entry are reserved
     */
    public VtdFirstLevelWalker(GuestMemory memory, int outputWidth) {
        if (outputWidth < 32 || outputWidth > 52) {
            throw new IllegalArgumentException("outputWidth " + outputWidth);
        }
        this.memory = memory;
        this.outputWidth = outputWidth;
    }

    /** Walks the guest first-stage table for {@code access}; never throws for guest mistakes. */
    public WalkResult walk(Config cfg, Access access) {
        try {
            return doWalk(cfg, access);
        } catch (WalkFault f) {
            return f.fault();
        }
    }

    private WalkResult doWalk(Config cfg, Access access) throws WalkFault {
        long iova = access.address();
        int levels = cfg.levels();
        if (!canonical(iova, cfg.addrWidth())) {
            throw fault(FR_FS_NON_CANONICAL, "FS_NON_CANONICAL", access, false, 0,
                    "IOVA not canonical for " + cfg.addrWidth() + "-bit first-stage paging");
        }
        if (access.privileged() && !cfg.sre()) {
            throw fault(FR_SM_SRE_CLEAR, "SM_SRE_CLEAR", access, false, 0,
                    "supervisor request while SRE is clear");
        }
        boolean writable = true;
        long table = cfg.pgtblAddr() & ADDR_MASK;
        for (int level = levels; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);
            long entryAddr = table + ((iova >>> shift) & 0x1ff) * 8;
            long pte = fetch(entryAddr, level == levels, access, level);
            if ((pte & P) == 0) {
                throw fault(FR_FS_PAGING_ENTRY_P, "FS_PAGING_ENTRY_P", access, false, entryAddr,
                        "level-" + level + " entry not present");
            }
            boolean leaf = level == 1 || ((level == 2 || level == 3) && (pte & PS) != 0);
            if ((pte & reserved(level, leaf)) != 0) {
                throw fault(FR_FS_PAGING_ENTRY_RSVD, "FS_PAGING_ENTRY_RSVD", access, false, entryAddr,
                        String.format("level-%d entry 0x%x has reserved bits set", level, pte));
            }
            if (!access.privileged() && (pte & US) == 0) {
                throw fault(FR_FS_PAGING_ENTRY_US, "FS_PAGING_ENTRY_US", access, false, entryAddr,
                        "user request to a level-" + level + " entry with U/S clear");
            }
            writable &= (pte & RW) != 0;
            boolean writeAllowed = writable || (access.privileged() && !cfg.wpe());
            if (access.write() && !writeAllowed) {
                throw fault(FR_SM_WRITE, "SM_WRITE", access, false, entryAddr,
                        "write through a level-" + level + " entry with R/W clear");
            }
            long set = A | (cfg.eafe() ? EA : 0) | (leaf && access.write() ? D : 0);
            if ((pte & set) != set) {
                updateFlags(entryAddr, pte | set, access);
            }
            if (leaf) {
                long size = 1L << shift;
                long gpa = (pte & ADDR_MASK & -size) | (iova & (size - 1));
                Stage2.Mapping m = finalStage2(gpa, access);
                return new WalkResult.Translated(m.translate(gpa), gpa, Math.min(size, m.size()), level,
                        m.read(), writeAllowed && m.write(), null);
            }
            table = pte & ADDR_MASK;
        }
        throw new AssertionError("unreachable");
    }

    private long reserved(int level, boolean leaf) {
        long rsvd = outputWidth >= 52 ? 0 : ADDR_MASK & -(1L << outputWidth);
        if (level >= 4) {
            rsvd |= PS;
        } else if (leaf && level == 2) {
            rsvd |= 0x1f_e000L; // bits 20:13
        } else if (leaf && level == 3) {
            rsvd |= 0x3fff_e000L; // bits 29:13
        }
        return rsvd;
    }

    private long fetch(long entryAddr, boolean top, Access access, int level) throws WalkFault {
        try {
            return memory.read64(entryAddr);
        } catch (GuestMemory.Failure e) {
            switch (e.error()) {
                case ADDRESS_SIZE:
                    throw fault(FR_NESTED_FS_ADDR_BEYOND_MGAW, "NESTED_FS_ADDR_BEYOND_MGAW", access, true, e.ipa(),
                            "level-" + level + " table GPA beyond the second-stage address width");
                case BUS_ERROR:
                    throw top
                            ? fault(FR_PASID_ENTRY_FSPTPTR_INV, "PASID_ENTRY_FSPTPTR_INV", access, false, e.ipa(),
                                    "error reading the top-level table (FSPTPTR)")
                            : fault(FR_FS_PAGING_ENTRY_INV, "FS_PAGING_ENTRY_INV", access, false, e.ipa(),
                                    "error reading a level-" + level + " entry");
                default: // NOT_MAPPED, NO_READ: the second stage gives no read access to the table
                    throw top
                            ? fault(FR_NESTED_FSPTPTR_READ, "NESTED_FSPTPTR_READ", access, true, e.ipa(),
                                    "second stage denies reading the top-level table (" + e.error() + ")")
                            : fault(FR_NESTED_FS_ENTRY_READ, "NESTED_FS_ENTRY_READ", access, true, e.ipa(),
                                    "second stage denies reading the level-" + level + " table (" + e.error() + ")");
            }
        }
    }

    private void updateFlags(long entryAddr, long value, Access access) throws WalkFault {
        try {
            memory.write64(entryAddr, value);
        } catch (GuestMemory.Failure e) {
            if (e.error() == GuestMemory.S2Error.BUS_ERROR) {
                throw fault(FR_FS_BIT_UPDATE_FAILED, "FS_BIT_UPDATE_FAILED", access, false, e.ipa(),
                        "A/D update of a first-stage entry failed");
            }
            throw fault(FR_NESTED_FS_ENTRY_WRITE, "NESTED_FS_ENTRY_WRITE", access, true, e.ipa(),
                    "second stage denies the A/D update of a first-stage entry (" + e.error() + ")");
        }
    }

    private Stage2.Mapping finalStage2(long gpa, Access access) throws WalkFault {
        try {
            return memory.translate(gpa, access.write());
        } catch (GuestMemory.Failure e) {
            switch (e.error()) {
                case ADDRESS_SIZE:
                    throw fault(FR_NESTED_FS_ADDR_BEYOND_MGAW, "NESTED_FS_ADDR_BEYOND_MGAW", access, true, gpa,
                            "first-stage output beyond the second-stage address width");
                case NO_WRITE:
                    throw fault(FR_SM_WRITE, "SM_WRITE", access, true, gpa, "second stage is read-only");
                case NO_READ:
                    throw fault(FR_SM_READ, "SM_READ", access, true, gpa, "second stage is not readable");
                default:
                    throw fault(FR_SS_PAGING_ENTRY_RW, "SS_PAGING_ENTRY_RW", access, true, gpa,
                            "second stage does not map the output GPA");
            }
        }
    }

    private static WalkFault fault(int code, String name, Access access, boolean stage2, long address2, String why) {
        return new WalkFault(new WalkResult.Fault(ARCH, code, name, access.address(), stage2, null, address2, true, why));
    }

    /** Bits 63:(width-1) all equal. */
    static boolean canonical(long iova, int width) {
        long upper = iova >> (width - 1);
        return upper == 0 || upper == -1;
    }
}
