package dev.iommufd.viommu.nested;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.NestedDomainCreate.SmmuSte;
import org.junit.jupiter.api.Test;

class SteValidatorTest {
    static final long V = 1;
    static final long S1 = 5L << 1;
    static final long CTX = 0x4000_0000L;      // S1ContextPtr, 64-byte aligned

    static Errno errno(long w0, long w1) {
        return assertThrows(ErrnoException.class, () -> SteValidator.validate(w0, w1)).errno();
    }

    @Test
    void invalidSteBecomesAbortWhateverElseIsSet() {
        assertEquals(new SmmuSte(0, 0), SteValidator.validate(0xffff_ffff_ffff_fffeL, -1L));
    }

    @Test
    void everyAllowedFieldPassesAndEatsIsCleared() {
        long w0 = V | S1 | (3L << 4) | SteValidator.mask(51, 6) | SteValidator.mask(63, 59);
        long w1 = 0xffL | (1L << 27) | (1L << 28);
        assertEquals(new SmmuSte(w0, 0xffL | (1L << 27)), SteValidator.validate(w0, w1));
        assertEquals(new SmmuSte(V, 0), SteValidator.validate(V, 0));                     // abort
        assertEquals(new SmmuSte(V | (4L << 1), 0), SteValidator.validate(V | (4L << 1), 0)); // bypass
        assertEquals(new SmmuSte(V | S1 | CTX, 0), SteValidator.validate(V | S1 | CTX, 0));
    }

    @Test
    void everyOtherBitIsEio() {
        long allowed0 = SteValidator.STE0_ALLOWED;
        long allowed1 = SteValidator.STE1_ALLOWED;
        for (int bit = 0; bit < 64; bit++) {
            long b = 1L << bit;
            if ((allowed0 & b) == 0) {
                assertEquals(Errno.EIO, errno(V | S1 | b, 0), "word0 bit " + bit);
            }
            if ((allowed1 & b) == 0) {
                assertEquals(Errno.EIO, errno(V | S1, b), "word1 bit " + bit);
            }
        }
        assertEquals(0xf80f_ffff_ffff_ffffL, allowed0);   // 63:59, 51:6, 5:4, 3:1, 0
        assertEquals(0x3800_00ffL, allowed1);             // 29:28, 27, 7:0
    }

    @Test
    void cfgAndEatsValues() {
        for (int cfg = 0; cfg < 8; cfg++) {
            long w0 = V | ((long) cfg << 1);
            if (cfg == 0 || cfg == 4 || cfg == 5) {
                assertEquals(w0, SteValidator.validate(w0, 0).word0());
            } else {
                assertEquals(Errno.EIO, errno(w0, 0), "cfg " + cfg);
            }
        }
        assertEquals(Errno.EIO, errno(V | S1, 2L << 28));
        assertEquals(Errno.EIO, errno(V | S1, 3L << 28));
    }
}
