package dev.iommufd.sim.walk;

import dev.iommufd.sim.memory.HostMemory;
import java.util.function.LongPredicate;

/**
 * Guest-physical memory as the IOMMU sees it during a nested walk: every descriptor fetch (and
 * every A/D update) is first translated by the stage 2, then done on {@link HostMemory}.
 * Failures are reported as {@link Failure} with the stage-2 cause; each walker maps them to its
 * architecture's fault class.
 */
public final class GuestMemory {

    /** Why an access through stage 2 failed. */
    public enum S2Error {
        /** No stage-2 leaf maps the IPA (stage-2 translation fault / VT-d SS entry with R=W=0). */
        NOT_MAPPED,
        /** The stage-2 leaf does not allow reading. */
        NO_READ,
        /** The stage-2 leaf does not allow writing. */
        NO_WRITE,
        /** The IPA is beyond the stage-2 input size. */
        ADDRESS_SIZE,
        /** The host access itself aborted (external abort); only with an injected bus-error predicate. */
        BUS_ERROR
    }

    /** A failed guest-physical access (no stack trace: cheap). */
    public static final class Failure extends Exception {
        private final S2Error error;
        private final long ipa;

        Failure(S2Error error, long ipa) {
            super(error + " at IPA 0x" + Long.toHexString(ipa), null, false, false);
            this.error = error;
            this.ipa = ipa;
        }

        public S2Error error() {
            return error;
        }

        public long ipa() {
            return ipa;
        }
    }

    private final HostMemory host;
    private final Stage2 stage2;
    private final LongPredicate busError;

    public GuestMemory(HostMemory host, Stage2 stage2) {
        this(host, stage2, pa -> false);
    }

    /** {@code busError} tells which host PAs abort when accessed (fault injection; none by default). */
    public GuestMemory(HostMemory host, Stage2 stage2, LongPredicate busError) {
        this.host = host;
        this.stage2 = stage2;
        this.busError = busError;
    }

    public Stage2 stage2() {
        return stage2;
    }

    /** Stage-2 translation of {@code ipa} for a read or a write, permission-checked. */
    public Stage2.Mapping translate(long ipa, boolean write) throws Failure {
        int bits = stage2.inputBits();
        if (bits < 64 && (ipa >>> bits) != 0) {
            throw new Failure(S2Error.ADDRESS_SIZE, ipa);
        }
        Stage2.Mapping m = stage2.lookup(ipa);
        if (m == null) {
            throw new Failure(S2Error.NOT_MAPPED, ipa);
        }
        if (write ? !m.write() : !m.read()) {
            throw new Failure(write ? S2Error.NO_WRITE : S2Error.NO_READ, ipa);
        }
        return m;
    }

    /** Little-endian u64 at guest-physical {@code ipa} (8-byte aligned, as descriptors are). */
    public long read64(long ipa) throws Failure {
        long pa = translate(ipa, false).translate(ipa);
        if (busError.test(pa)) {
            throw new Failure(S2Error.BUS_ERROR, ipa);
        }
        return host.readLong(pa);
    }

    /** Writes a little-endian u64 at guest-physical {@code ipa} (hardware A/D-bit updates). */
    public void write64(long ipa, long value) throws Failure {
        long pa = translate(ipa, true).translate(ipa);
        if (busError.test(pa)) {
            throw new Failure(S2Error.BUS_ERROR, ipa);
        }
        host.writeLong(pa, value);
    }
}
