package dev.iommufd.sim.smmu;

import dev.iommufd.sim.walk.SmmuV3Stage1Walker;
import dev.iommufd.sim.walk.VtdFirstLevelWalker;
import java.util.List;
import java.util.Map;

/**
 * Architectural fault records as the hardware writes them (and a vEVENTQ carries them).
 *
 * <p>SMMUv3 event record, 4 × u64 (Linux arm-smmu-v3.h EVTQ_*, QEMU smmuv3-internal.h EVT_SET_*):
 * word 0: type [7:0], SSV [11], SSID [31:12], StreamID [63:32]; word 1 (translation-class faults
 * F_TRANSLATION/F_ADDR_SIZE/F_ACCESS/F_PERMISSION only): PnU [33] (privileged), InD [34]
 * (instruction, never set: DMA), RnW [35] (1 = read), S2 [39], CLASS [41:40] (CD 0, TT 1, IN 2);
 * word 2: input address; word 3: IPA / ADDR2 [51:3]. Other types carry word 0 only.
 *
 * <p>VT-d fault record (FRCD, 128 bits as 2 × u64, QEMU vtd_record_frcd): word 0: fault info,
 * the page address [63:12]; word 1: SID [15:0], PRIV [29], PP (PASID present) [31], FR [39:32],
 * PV [59:40], T [62] (1 = read request), F [63] (valid).
 */
public final class EventRecords {
    private EventRecords() {}

    /** SMMUv3 event types hw-sim can record or inject (name → type number). */
    public static final Map<String, Integer> SMMU_TYPES = Map.ofEntries(
            Map.entry("F_UUT", 0x01), Map.entry("C_BAD_STREAMID", 0x02), Map.entry("F_STE_FETCH", 0x03),
            Map.entry("C_BAD_STE", 0x04), Map.entry("F_BAD_ATS_TREQ", 0x05), Map.entry("F_STREAM_DISABLED", 0x06),
            Map.entry("F_TRANSL_FORBIDDEN", 0x07), Map.entry("C_BAD_SUBSTREAMID", 0x08), Map.entry("F_CD_FETCH", 0x09),
            Map.entry("C_BAD_CD", 0x0a), Map.entry("F_WALK_EABT", 0x0b), Map.entry("F_TRANSLATION", 0x10),
            Map.entry("F_ADDR_SIZE", 0x11), Map.entry("F_ACCESS", 0x12), Map.entry("F_PERMISSION", 0x13),
            Map.entry("F_TLB_CONFLICT", 0x20), Map.entry("F_CFG_CONFLICT", 0x21));

    /** VT-d fault reasons hw-sim can record or inject (QEMU VTD_FR_* names without prefix → reason). */
    public static final Map<String, Integer> VTD_TYPES = Map.ofEntries(
            Map.entry("SM_SRE_CLEAR", VtdFirstLevelWalker.FR_SM_SRE_CLEAR),
            Map.entry("FS_PAGING_ENTRY_INV", VtdFirstLevelWalker.FR_FS_PAGING_ENTRY_INV),
            Map.entry("FS_PAGING_ENTRY_P", VtdFirstLevelWalker.FR_FS_PAGING_ENTRY_P),
            Map.entry("FS_PAGING_ENTRY_RSVD", VtdFirstLevelWalker.FR_FS_PAGING_ENTRY_RSVD),
            Map.entry("PASID_ENTRY_FSPTPTR_INV", VtdFirstLevelWalker.FR_PASID_ENTRY_FSPTPTR_INV),
            Map.entry("NESTED_FS_ADDR_BEYOND_MGAW", VtdFirstLevelWalker.FR_NESTED_FS_ADDR_BEYOND_MGAW),
            Map.entry("NESTED_FSPTPTR_READ", VtdFirstLevelWalker.FR_NESTED_FSPTPTR_READ),
            Map.entry("NESTED_FS_ENTRY_READ", VtdFirstLevelWalker.FR_NESTED_FS_ENTRY_READ),
            Map.entry("NESTED_FS_ENTRY_WRITE", VtdFirstLevelWalker.FR_NESTED_FS_ENTRY_WRITE),
            Map.entry("SS_PAGING_ENTRY_RW", VtdFirstLevelWalker.FR_SS_PAGING_ENTRY_RW),
            Map.entry("FS_NON_CANONICAL", VtdFirstLevelWalker.FR_FS_NON_CANONICAL),
            Map.entry("FS_PAGING_ENTRY_US", VtdFirstLevelWalker.FR_FS_PAGING_ENTRY_US),
            Map.entry("SM_WRITE", VtdFirstLevelWalker.FR_SM_WRITE),
            Map.entry("SM_READ", VtdFirstLevelWalker.FR_SM_READ),
            Map.entry("FS_BIT_UPDATE_FAILED", VtdFirstLevelWalker.FR_FS_BIT_UPDATE_FAILED));

    /** SMMU CLASS field values. */
    static int smmuClass(String faultClass) {
        if (faultClass == null) {
            return 0;
        }
        return switch (faultClass) {
            case "CD" -> 0;
            case "TT" -> 1;
            default -> 2;
        };
    }

    /** An SMMUv3 event record; {@code ssid} null = no substream (SSV clear). */
    public static List<Long> smmu(int type, int sid, Integer ssid, boolean read, boolean priv, boolean stage2,
                                  String faultClass, long addr, long addr2) {
        long w0 = (type & 0xffL) | ((sid & 0xffff_ffffL) << 32);
        if (ssid != null) {
            w0 |= 1L << 11 | (ssid & 0xfffffL) << 12;
        }
        if (type < SmmuV3Stage1Walker.F_TRANSLATION || type > SmmuV3Stage1Walker.F_PERMISSION) {
            return List.of(w0, 0L, 0L, 0L);
        }
        long w1 = (priv ? 1L << 33 : 0) | (read ? 1L << 35 : 0) | (stage2 ? 1L << 39 : 0)
                | (long) smmuClass(faultClass) << 40;
        return List.of(w0, w1, addr, addr2 & 0x000f_ffff_ffff_fff8L);
    }

    /** A VT-d fault record; {@code pasid} null = no PASID (PP clear). */
    public static List<Long> vtd(int reason, int sourceId, Integer pasid, boolean read, boolean priv, long addr) {
        long hi = (sourceId & 0xffffL) | (reason & 0xffL) << 32 | 1L << 63;
        if (pasid != null) {
            hi |= 1L << 31 | (pasid & 0xfffffL) << 40;
        }
        if (priv) {
            hi |= 1L << 29;
        }
        if (read) {
            hi |= 1L << 62;
        }
        return List.of(addr & ~0xfffL, hi);
    }

    /** The PCI source id (bus << 8 | dev << 3 | fn) of {@code ssss:bb:dd.f}. */
    public static int sourceId(String rid) {
        String[] p = rid.split("[:.]");
        if (p.length != 4) {
            throw new IllegalArgumentException("not a PCI RID: " + rid);
        }
        return Integer.parseInt(p[1], 16) << 8 | Integer.parseInt(p[2], 16) << 3 | Integer.parseInt(p[3], 16);
    }
}
