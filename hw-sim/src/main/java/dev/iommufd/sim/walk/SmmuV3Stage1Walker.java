package dev.iommufd.sim.walk;

/**
 * SMMUv3 nested walk of a guest STE ({@code ARM_SMMUV3} nested HWPT): STE decode → CD fetch (through
 * stage 2) → CD decode → VMSAv8-64 stage-1 walk with the 4 KiB granule (every table fetch through
 * stage 2) → stage-2 translation of the output IPA.
 *
 * <p>Field positions (64-bit words; Linux {@code arm-smmu-v3.h}, QEMU {@code smmuv3-internal.h}):
 * <ul>
 *   <li>STE word 0: V [0], Config [3:1] (0b0xx abort, 0b100 bypass, 0b101 S1, 0b110 S2, 0b111 nested),
 *       S1Fmt [5:4], S1ContextPtr [51:6], S1CDMax [63:59]; word 1: S1DSS [1:0], S1CIR [3:2],
 *       S1COR [5:4], S1CSH [7:6], S1STALLD [27], EATS [29:28]. Only these may be set in a guest STE.</li>
 *   <li>CD word 0: T0SZ [5:0], TG0 [7:6], EPD0 [14], ENDI [15], T1SZ [21:16], TG1 [23:22], EPD1 [30],
 *       V [31], IPS [34:32], AFFD [35], TBI [39:38], AA64 [41], HD [42], HA [43], S [44], R [45],
 *       A [46], ASID [63:48]; word 1: HAD0 [1], TTB0 [51:4]; word 2: HAD1 [1], TTB1 [51:4].</li>
 *   <li>L1 CD descriptor: V [0], L2Ptr [51:12]; S1Fmt 1 = 2-level with 4 KiB leaf tables (SPLIT 6),
 *       2 = 2-level with 64 KiB leaf tables (SPLIT 10).</li>
 *   <li>Translation table descriptor: [1:0] 0b11 table (levels 0–2) / page (level 3), 0b01 block
 *       (levels 1–2; reserved at 0 and 3), AP[2:1] [7:6], AF [10], address [51:12] (a block's
 *       [51:30] or [51:21]), APTable [62:61].</li>
 * </ul>
 *
 * <p>Event types as QEMU {@code SMMUEventType}. A stage-2 failure while fetching a CD or a table is
 * reported as the stage-2 fault (F_TRANSLATION / F_PERMISSION, S2=1, CLASS=CD or TT), as QEMU's
 * {@code smmuv3_do_translate} does; F_CD_FETCH / F_WALK_EABT are for external aborts of the fetch.
 */
public final class SmmuV3Stage1Walker {
    public static final String ARCH = "SMMUV3";

    public static final int F_STE_FETCH = 0x03;
    public static final int C_BAD_STE = 0x04;
    public static final int F_STREAM_DISABLED = 0x06;
    public static final int C_BAD_SUBSTREAMID = 0x08;
    public static final int F_CD_FETCH = 0x09;
    public static final int C_BAD_CD = 0x0a;
    public static final int F_WALK_EABT = 0x0b;
    public static final int F_TRANSLATION = 0x10;
    public static final int F_ADDR_SIZE = 0x11;
    public static final int F_ACCESS = 0x12;
    public static final int F_PERMISSION = 0x13;

    public static final int CFG_BYPASS = 0b100;
    public static final int CFG_S1 = 0b101;

    static final long STE0_ALLOWED = 1L | (7L << 1) | (3L << 4) | mask(51, 6) | mask(63, 59);
    static final long STE1_ALLOWED = 0xffL | (1L << 27) | (3L << 28);
    private static final long ADDR_51_12 = mask(51, 12);
    private static final int SSID_BITS = 20;

    /** The fields of a guest STE that matter for the walk. */
    public record Ste(int config, int s1Fmt, long s1ContextPtr, int s1CdMax, int s1Dss) {
        public boolean abort() {
            return (config & 0b100) == 0;
        }

        public boolean bypass() {
            return config == CFG_BYPASS;
        }
    }

    /** One translation table of a CD (TTB0 or TTB1). */
    public record Table(boolean disabled, int tsz, long ttb, boolean had) {}

    /** A decoded context descriptor; {@code oas} is the effective output size (IPS capped). */
    public record Cd(int asid, int oas, boolean affd, boolean record, int tbi, Table tt0, Table tt1) {}

    private final GuestMemory memory;
    private final int oasBits;

    /**
     * @param memory guest memory behind the stage-2 parent
     * @param oasBits the SMMU's output address size (IDR5.OAS; 48 for smmu0)
     */
    public SmmuV3Stage1Walker(GuestMemory memory, int oasBits) {
        this.memory = memory;
        this.oasBits = oasBits;
    }

    /**
     * What a stream resolves to before any page-table walk (what an SMMU's configuration cache
     * holds for a StreamID+SubstreamID): abort (no event), bypass of stage 1, or a CD.
     */
    public record StreamConfig(boolean abort, boolean bypass, Cd cd) {}

    /**
     * Translates {@code access} for a device whose guest STE is {@code steWords} (words 0 and 1, more
     * are ignored). {@code ssid} is the PASID of the transaction or null (no PASID).
     */
    public WalkResult translate(long[] steWords, Integer ssid, Access access) {
        try {
            return translate(resolve(steWords, ssid, access.address()), access);
        } catch (WalkFault f) {
            return f.fault();
        }
    }

    /** Translates {@code access} with an already resolved (possibly cached) stream configuration. */
    public WalkResult translate(StreamConfig config, Access access) {
        if (config.abort()) {
            return new WalkResult.Fault(ARCH, 0, "ABORT", access.address(), false, null, 0, false,
                    "STE.Config aborts all traffic (no event)");
        }
        if (config.bypass()) {
            try {
                return bypass(access);
            } catch (WalkFault f) {
                return f.fault();
            }
        }
        return walk(config.cd(), access);
    }

    /**
     * Decodes the STE and fetches (through stage 2) the CD that traffic with {@code ssid} uses;
     * configuration errors are thrown as their event (C_BAD_STE, C_BAD_SUBSTREAMID, …).
     */
    public StreamConfig resolve(long[] steWords, Integer ssid, long iova) throws WalkFault {
        Ste ste = decodeSte(steWords, iova);
        if (ste.abort()) {
            return new StreamConfig(true, false, null);
        }
        if (ste.bypass()) {
            return new StreamConfig(false, true, null);
        }
        int index;
        if (ste.s1CdMax() == 0) {
            if (ssid != null) {
                throw config(C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID", iova, "SSID on a stream without substreams");
            }
            index = 0;
        } else if (ssid == null) {
            switch (ste.s1Dss()) {
                case 0:
                    throw config(F_STREAM_DISABLED, "F_STREAM_DISABLED", iova, "S1DSS terminates non-substream traffic");
                case 1:
                    return new StreamConfig(false, true, null);
                default:
                    index = 0;
            }
        } else {
            if (ssid < 0 || ssid >= 1 << ste.s1CdMax() || (ssid == 0 && ste.s1Dss() == 2)) {
                throw config(C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID", iova, "SSID " + ssid + " out of range");
            }
            index = ssid;
        }
        return new StreamConfig(false, false, fetchCd(ste, index, iova));
    }

    /** Decodes and checks a guest STE (C_BAD_STE when invalid or using fields a guest may not set). */
    public static Ste decodeSte(long[] words, long iova) throws WalkFault {
        if (words == null || words.length < 2) {
            throw new IllegalArgumentException("a guest STE has at least two 64-bit words");
        }
        long w0 = words[0];
        long w1 = words[1];
        if ((w0 & 1) == 0) {
            throw config(C_BAD_STE, "C_BAD_STE", iova, "STE.V is clear");
        }
        if ((w0 & ~STE0_ALLOWED) != 0 || (w1 & ~STE1_ALLOWED) != 0) {
            throw config(C_BAD_STE, "C_BAD_STE", iova, "guest STE sets fields a nested STE may not set");
        }
        int cfg = (int) (w0 >>> 1) & 7;
        Ste ste = new Ste(cfg, (int) (w0 >>> 4) & 3, w0 & mask(51, 6), (int) (w0 >>> 59) & 0x1f, (int) w1 & 3);
        if (cfg > CFG_S1) {
            throw config(C_BAD_STE, "C_BAD_STE", iova, "guest STE asks for stage 2 (Config 0b" + Integer.toBinaryString(cfg) + ")");
        }
        if (cfg == CFG_S1 && ste.s1CdMax() != 0
                && (ste.s1CdMax() > SSID_BITS || ste.s1Fmt() == 3 || ste.s1Dss() == 3)) {
            throw config(C_BAD_STE, "C_BAD_STE", iova, "illegal S1CDMax/S1Fmt/S1DSS");
        }
        return ste;
    }

    /** Fetches (through stage 2) and decodes the CD number {@code index} of the STE's CD table. */
    public Cd fetchCd(Ste ste, int index, long iova) throws WalkFault {
        long base = ste.s1ContextPtr();
        long cdAddr;
        if (ste.s1CdMax() == 0 || ste.s1Fmt() == 0) {
            cdAddr = base + (long) index * 64;
        } else {
            int split = ste.s1Fmt() == 1 ? 6 : 10;
            long l1 = readCdWord(base + (long) (index >>> split) * 8, iova);
            if ((l1 & 1) == 0) {
                throw config(C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID", iova, "L1 CD descriptor for SSID " + index + " is invalid");
            }
            cdAddr = (l1 & ADDR_51_12) + (long) (index & ((1 << split) - 1)) * 64;
        }
        long[] cd = new long[3];
        for (int i = 0; i < cd.length; i++) {
            cd[i] = readCdWord(cdAddr + 8L * i, iova);
        }
        return decodeCd(cd, iova);
    }

    /** Decodes CD words 0..2 (C_BAD_CD for what this SMMU does not support or forbids). */
    public Cd decodeCd(long[] w, long iova) throws WalkFault {
        long w0 = w[0];
        if ((w0 & bit(31)) == 0 || (w0 & bit(41)) == 0) {
            throw config(C_BAD_CD, "C_BAD_CD", iova, "CD.V or CD.AA64 is clear");
        }
        if ((w0 & bit(46)) == 0) {
            throw config(C_BAD_CD, "C_BAD_CD", iova, "CD.A is clear (TERM_MODEL=1)");
        }
        if ((w0 & bit(44)) != 0) {
            throw config(C_BAD_CD, "C_BAD_CD", iova, "CD.S (stall) is not supported");
        }
        if ((w0 & (bit(42) | bit(43))) != 0) {
            throw config(C_BAD_CD, "C_BAD_CD", iova, "CD.HA/HD: no HTTU for nested stage 1");
        }
        if ((w0 & bit(15)) != 0) {
            throw config(C_BAD_CD, "C_BAD_CD", iova, "CD.ENDI: big-endian tables are not supported");
        }
        int ips = (int) (w0 >>> 32) & 7;
        int oas = Math.min(Math.min(ipsBits(ips), oasBits), 48); // 4 KiB granule: at most 48 bits
        Table tt0 = table(w0 & 0x3f, (w0 >>> 6) & 3, 0, (w0 & bit(14)) != 0, w[1], oas, iova);
        Table tt1 = table((w0 >>> 16) & 0x3f, (w0 >>> 22) & 3, 2, (w0 & bit(30)) != 0, w[2], oas, iova);
        return new Cd((int) (w0 >>> 48) & 0xffff, oas, (w0 & bit(35)) != 0, (w0 & bit(45)) != 0,
                (int) (w0 >>> 38) & 3, tt0, tt1);
    }

    private static Table table(long tsz, long tg, int tg4k, boolean disabled, long ttbWord, int oas, long iova)
            throws WalkFault {
        long ttb = ttbWord & mask(51, 4);
        if (!disabled) {
            if (tsz < 16 || tsz > 39) {
                throw config(C_BAD_CD, "C_BAD_CD", iova, "TxSZ " + tsz + " outside 16..39");
            }
            if (tg != tg4k) {
                throw config(C_BAD_CD, "C_BAD_CD", iova, "translation granule is not 4 KiB (only GRAN4K)");
            }
            if ((ttb >>> oas) != 0) {
                throw config(C_BAD_CD, "C_BAD_CD", iova, "TTB beyond the output address size");
            }
        }
        return new Table(disabled, (int) tsz, ttb, (ttbWord & 2) != 0);
    }

    /** The VMSAv8-64 4 KiB-granule stage-1 walk of {@code cd} for {@code access}, then stage 2. */
    public WalkResult walk(Cd cd, Access access) {
        try {
            return doWalk(cd, access);
        } catch (WalkFault f) {
            return f.fault();
        }
    }

    private WalkResult doWalk(Cd cd, Access access) throws WalkFault {
        long iova = access.address();
        Table tt = select(cd, iova);
        if (tt == null || tt.disabled()) {
            throw s1(F_TRANSLATION, "F_TRANSLATION", cd, access, 0,
                    tt == null ? "IOVA outside the TTB0 and TTB1 ranges" : "translation table disabled (EPDx)");
        }
        int inputSize = 64 - tt.tsz();
        int level = 4 - (inputSize - 4) / 9;
        int topBits = inputSize - (12 + 9 * (3 - level));
        long table = tt.ttb() & -(8L << topBits);
        boolean tableWrite = true;
        boolean tableUser = true;
        for (; level <= 3; level++) {
            int shift = 12 + 9 * (3 - level);
            long indexMask = (1L << (level == 4 - (inputSize - 4) / 9 ? topBits : 9)) - 1;
            long entryAddr = table + ((iova >>> shift) & indexMask) * 8;
            long pte = fetchDescriptor(entryAddr, cd, access);
            int type = (int) pte & 3;
            if ((type & 1) == 0 || (type == 1 && (level == 0 || level == 3))) {
                throw s1(F_TRANSLATION, "F_TRANSLATION", cd, access, 0,
                        String.format("level-%d descriptor 0x%x invalid or reserved", level, pte));
            }
            if (type == 3 && level < 3) {
                long next = pte & ADDR_51_12;
                if ((next >>> cd.oas()) != 0) {
                    throw s1(F_ADDR_SIZE, "F_ADDR_SIZE", cd, access, 0, "level-" + level + " table address beyond IPS");
                }
                if (!tt.had()) {
                    tableWrite &= (pte & bit(62)) == 0;
                    tableUser &= (pte & bit(61)) == 0;
                }
                table = next;
                continue;
            }
            long size = 1L << shift;
            if (((pte & ADDR_51_12) >>> cd.oas()) != 0) {
                throw s1(F_ADDR_SIZE, "F_ADDR_SIZE", cd, access, 0, "output address beyond IPS");
            }
            if ((pte & bit(10)) == 0 && !cd.affd()) {
                throw s1(F_ACCESS, "F_ACCESS", cd, access, 0, "level-" + level + " descriptor has AF=0");
            }
            boolean writable = (pte & bit(7)) == 0 && tableWrite;
            boolean user = (pte & bit(6)) != 0 && tableUser;
            if (!access.privileged() && !user) {
                throw s1(F_PERMISSION, "F_PERMISSION", cd, access, 0, "unprivileged access, AP[1]/APTable[0] deny EL0");
            }
            if (access.write() && !writable) {
                throw s1(F_PERMISSION, "F_PERMISSION", cd, access, 0, "write to a read-only mapping (AP[2]/APTable[1])");
            }
            long ipa = (pte & ADDR_51_12 & -size) | (iova & (size - 1));
            Stage2.Mapping m = stage2(ipa, access, "IN");
            return new WalkResult.Translated(m.translate(ipa), ipa, Math.min(size, m.size()), level, m.read(),
                    writable && m.write(), cd.asid());
        }
        throw new AssertionError("unreachable");
    }

    /** TTB0 when the bits above the input size are all 0, TTB1 when all 1 (ignoring TBI's top byte). */
    private static Table select(Cd cd, long iova) {
        boolean tbi = (iova & bit(55)) != 0 ? (cd.tbi() & 2) != 0 : (cd.tbi() & 1) != 0;
        long top = tbi ? (iova << 8) >> 8 : iova; // sign-extend bit 55 over the ignored byte
        if ((top >> (64 - cd.tt0().tsz())) == 0 && cd.tt0().tsz() > 0) {
            return cd.tt0();
        }
        if ((top >> (64 - cd.tt1().tsz())) == -1 && cd.tt1().tsz() > 0) {
            return cd.tt1();
        }
        return null;
    }

    /** Stage-1 bypass (STE Config bypass or S1DSS bypass): the IOVA is the IPA. */
    private WalkResult bypass(Access access) throws WalkFault {
        long iova = access.address();
        if (oasBits < 64 && (iova >>> oasBits) != 0) {
            throw new WalkFault(new WalkResult.Fault(ARCH, F_ADDR_SIZE, "F_ADDR_SIZE", iova, false, "IN", 0, true,
                    "bypassed IOVA beyond the input address size"));
        }
        Stage2.Mapping m = stage2(iova, access, "IN");
        return new WalkResult.Translated(m.translate(iova), iova, m.size(), levelOf(m.size()), m.read(), m.write(), null);
    }

    private Stage2.Mapping stage2(long ipa, Access access, String cls) throws WalkFault {
        try {
            return memory.translate(ipa, access.write());
        } catch (GuestMemory.Failure e) {
            throw s2(e, access.address(), cls);
        }
    }

    private long fetchDescriptor(long addr, Cd cd, Access access) throws WalkFault {
        try {
            return memory.read64(addr);
        } catch (GuestMemory.Failure e) {
            if (e.error() == GuestMemory.S2Error.BUS_ERROR) {
                throw new WalkFault(new WalkResult.Fault(ARCH, F_WALK_EABT, "F_WALK_EABT", access.address(), false,
                        "TT", addr, true, "external abort fetching a translation table descriptor"));
            }
            throw s2(e, access.address(), "TT");
        }
    }

    private long readCdWord(long addr, long iova) throws WalkFault {
        try {
            return memory.read64(addr);
        } catch (GuestMemory.Failure e) {
            if (e.error() == GuestMemory.S2Error.BUS_ERROR) {
                throw new WalkFault(new WalkResult.Fault(ARCH, F_CD_FETCH, "F_CD_FETCH", iova, false, "CD", addr, true,
                        "external abort fetching the CD"));
            }
            throw s2(e, iova, "CD");
        }
    }

    /** A stage-2 fault (S2=1), recorded as if the host STE sets S2R (Linux does). */
    private static WalkFault s2(GuestMemory.Failure e, long iova, String cls) {
        boolean perm = e.error() == GuestMemory.S2Error.NO_READ || e.error() == GuestMemory.S2Error.NO_WRITE;
        return new WalkFault(new WalkResult.Fault(ARCH, perm ? F_PERMISSION : F_TRANSLATION,
                perm ? "F_PERMISSION" : "F_TRANSLATION", iova, true, cls, e.ipa(), true,
                "stage 2 " + e.error() + " for IPA 0x" + Long.toHexString(e.ipa()) + " (CLASS=" + cls + ")"));
    }

    private static WalkFault s1(int code, String name, Cd cd, Access access, long addr2, String why) {
        return new WalkFault(new WalkResult.Fault(ARCH, code, name, access.address(), false, "IN", addr2, cd.record(), why));
    }

    private static WalkFault config(int code, String name, long iova, String why) {
        return new WalkFault(new WalkResult.Fault(ARCH, code, name, iova, false, null, 0, true, why));
    }

    static int ipsBits(int ips) {
        return switch (ips) {
            case 0 -> 32;
            case 1 -> 36;
            case 2 -> 40;
            case 3 -> 42;
            case 4 -> 44;
            case 5 -> 48;
            default -> 52;
        };
    }

    private static int levelOf(long size) {
        return size >= (1L << 30) ? 1 : size >= (1L << 21) ? 2 : 3;
    }

    private static long bit(int n) {
        return 1L << n;
    }

    static long mask(int hi, int lo) {
        return (-1L >>> (63 - hi)) & (-1L << lo);
    }
}
