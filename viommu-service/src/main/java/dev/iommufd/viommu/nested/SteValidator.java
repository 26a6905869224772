package dev.iommufd.viommu.nested;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.NestedDomainCreate.SmmuSte;

/**
 * IOMMU_HWPT_DATA_ARM_SMMUV3: the guest's STE words 0–1, checked as the kernel's
 * {@code arm_smmu_validate_vste}. An invalid STE (V=0) is an abort STE (all zero); otherwise only
 * the fields a guest may own (V, Cfg, S1Fmt, S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH,
 * S1STALLD, EATS) may be set, Cfg must be abort, bypass or stage-1, EATS abort or translate (the
 * host sets EATS itself, so it is cleared). Anything else is EIO, the errno the kernel keeps for
 * bad STE data.
 */
public final class SteValidator {
    private SteValidator() {}

    static final long STE0_V = 1L;
    static final long STE0_CFG = 0x7L << 1;
    static final long STE0_S1FMT = 0x3L << 4;
    static final long STE0_S1CTXPTR = mask(51, 6);
    static final long STE0_S1CDMAX = mask(63, 59);
    static final long STE0_ALLOWED = STE0_V | STE0_CFG | STE0_S1FMT | STE0_S1CTXPTR | STE0_S1CDMAX;

    static final long STE1_S1DSS = 0x3L;
    static final long STE1_S1CIR = 0x3L << 2;
    static final long STE1_S1COR = 0x3L << 4;
    static final long STE1_S1CSH = 0x3L << 6;
    static final long STE1_S1STALLD = 1L << 27;
    static final long STE1_EATS = 0x3L << 28;
    static final long STE1_ALLOWED = STE1_S1DSS | STE1_S1CIR | STE1_S1COR | STE1_S1CSH | STE1_S1STALLD | STE1_EATS;

    public static final int CFG_ABORT = 0;
    public static final int CFG_BYPASS = 4;
    public static final int CFG_S1_TRANS = 5;

    static final int EATS_ABT = 0;
    static final int EATS_TRANS = 1;

    /** Bits hi..lo set (GENMASK_ULL). */
    static long mask(int hi, int lo) {
        return (hi == 63 ? -1L : (1L << (hi + 1)) - 1) & -(1L << lo);
    }

    /** The STE the host programs, or EIO. */
    public static SmmuSte validate(long word0, long word1) {
        if ((word0 & STE0_V) == 0) {
            return new SmmuSte(0, 0);
        }
        if ((word0 & ~STE0_ALLOWED) != 0 || (word1 & ~STE1_ALLOWED) != 0) {
            throw ErrnoException.of(Errno.EIO, "STE sets fields a guest may not own (word0 0x%x, word1 0x%x)",
                    word0 & ~STE0_ALLOWED, word1 & ~STE1_ALLOWED);
        }
        int cfg = (int) ((word0 & STE0_CFG) >>> 1);
        if (cfg != CFG_ABORT && cfg != CFG_BYPASS && cfg != CFG_S1_TRANS) {
            throw ErrnoException.of(Errno.EIO, "STE.Cfg %d is not abort, bypass or stage-1", cfg);
        }
        int eats = (int) ((word1 & STE1_EATS) >>> 28);
        if (eats != EATS_ABT && eats != EATS_TRANS) {
            throw ErrnoException.of(Errno.EIO, "STE.EATS %d is neither abort nor full ATS", eats);
        }
        return new SmmuSte(word0, word1 & ~STE1_EATS);
    }
}
