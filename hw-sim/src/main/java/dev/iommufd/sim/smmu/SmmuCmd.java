package dev.iommufd.sim.smmu;

import dev.iommufd.contract.events.SmmuCommands;

/**
 * One decoded SMMUv3 command-queue entry (field layout of Linux arm-smmu-v3.h CMDQ_*, QEMU
 * smmuv3-internal.h CMD_*): opcode w0[7:0]; SSV w0[11] (ATC_INV); CFGI_CD/ATC: SSID w0[31:12], SID w0[63:32],
 * CFGI_CD_ALL/STE LEAF w1[0]; TLBI: NUM w0[16:12], SCALE w0[24:20], VMID w0[47:32], ASID
 * w0[63:48], LEAF w1[0], TTL w1[9:8], TG w1[11:10], address w1[63:12]; ATC_INV: GLOBAL w0[9],
 * SIZE w1[5:0], address w1[63:12].
 *
 * @param length bytes covered for TLBI_NH_VA/VAA (TG = 0: one 4 KiB page, any block containing
 *     it included; else (NUM+1) × 2^SCALE pages of the TG granule, as QEMU's smmuv3_range_inval)
 *     and ATC_INV (2^SIZE pages of 4 KiB; SIZE ≥ 52 = everything, Linux ATC_INV_SIZE_ALL); 0 = all
 */
public record SmmuCmd(int opcode, String name, Integer ssid, int sid, int asid, int vmid, long address, long length) {
    public static final int CFGI_STE = 0x03;
    public static final int CFGI_CD = 0x05;
    public static final int CFGI_CD_ALL = 0x06;
    public static final int TLBI_NH_ALL = 0x10;
    public static final int TLBI_NH_ASID = 0x11;
    public static final int TLBI_NH_VA = 0x12;
    public static final int TLBI_NH_VAA = 0x13;
    public static final int TLBI_NSNH_ALL = 0x30;
    public static final int ATC_INV = 0x40;
    public static final int CMD_SYNC = 0x46;

    private static final long ADDR_63_12 = ~0xfffL;

    /** Decodes one command; an opcode hw-sim does not accept from a vIOMMU is malformed. */
    public static SmmuCmd decode(SmmuCommands.Cmd c) {
        long w0 = c.w0();
        long w1 = c.w1();
        int op = (int) (w0 & 0xff);
        boolean ssv = (w0 & (1L << 11)) != 0;
        Integer ssid = ssv ? (int) ((w0 >>> 12) & 0xfffff) : null;
        int sid = (int) (w0 >>> 32);
        return switch (op) {
            case CFGI_STE -> new SmmuCmd(op, "CFGI_STE", null, sid, -1, -1, 0, 0);
            // Linux fills CFGI_CD's SSID field without setting SSV: the field is always the SSID
            case CFGI_CD -> new SmmuCmd(op, "CFGI_CD", (int) ((w0 >>> 12) & 0xfffff), sid, -1, -1, 0, 0);
            case CFGI_CD_ALL -> new SmmuCmd(op, "CFGI_CD_ALL", null, sid, -1, -1, 0, 0);
            case TLBI_NH_ALL -> new SmmuCmd(op, "TLBI_NH_ALL", null, -1, -1, vmid(w0), 0, 0);
            case TLBI_NH_ASID -> new SmmuCmd(op, "TLBI_NH_ASID", null, -1, asid(w0), vmid(w0), 0, 0);
            case TLBI_NH_VA -> new SmmuCmd(op, "TLBI_NH_VA", null, -1, asid(w0), vmid(w0), w1 & ADDR_63_12, tlbiLength(w0, w1));
            case TLBI_NH_VAA -> new SmmuCmd(op, "TLBI_NH_VAA", null, -1, -1, vmid(w0), w1 & ADDR_63_12, tlbiLength(w0, w1));
            case TLBI_NSNH_ALL -> new SmmuCmd(op, "TLBI_NSNH_ALL", null, -1, -1, -1, 0, 0);
            case ATC_INV -> {
                int size = (int) (w1 & 0x3f);
                if (size >= 52) {
                    yield new SmmuCmd(op, "ATC_INV", ssid, sid, -1, -1, 0, 0);
                }
                long span = 4096L << size;
                yield new SmmuCmd(op, "ATC_INV", ssid, sid, -1, -1, (w1 & ADDR_63_12) & -span, span);
            }
            case CMD_SYNC -> new SmmuCmd(op, "CMD_SYNC", null, -1, -1, -1, 0, 0);
            default -> throw new IllegalArgumentException(String.format("SMMU command opcode 0x%02x not accepted", op));
        };
    }

    private static int vmid(long w0) {
        return (int) ((w0 >>> 32) & 0xffff);
    }

    private static int asid(long w0) {
        return (int) ((w0 >>> 48) & 0xffff);
    }

    private static long tlbiLength(long w0, long w1) {
        int tg = (int) ((w1 >>> 10) & 3);
        if (tg == 0) {
            return 4096;
        }
        long num = ((w0 >>> 12) & 0x1f) + 1;
        int scale = (int) ((w0 >>> 20) & 0x1f);
        int granuleShift = tg * 2 + 10;
        return (num << scale) << granuleShift;
    }
}
