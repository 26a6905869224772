package dev.iommufd.ioas.memory;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.ioas.context.ContextState;

/** MEMORY objects: the VMM's memory regions. */
public final class MemoryOps {
    public static final long PAGE = 4096;
    private static final long HUGE = 2L << 20;

    private MemoryOps() {}

    /** Validates a region length: a positive multiple of 4 KiB. */
    public static void checkLength(long length) {
        if (length == 0 || (length & (PAGE - 1)) != 0 || length < 0) {
            throw ErrnoException.of(Errno.EINVAL, "length must be a positive multiple of 4 KiB");
        }
    }

    /**
     * A new region at {@code hostPa} (allocated by the caller from the host's physical space). Its
     * user VA keeps huge-page alignment for regions of 2 MiB or more, so automatic IOVAs can too.
     */
    public static MemoryObject create(ContextState state, long length, long hostPa) {
        checkLength(length);
        long align = length >= HUGE ? HUGE : PAGE;
        long va = (state.nextUserVa + align - 1) & -align;
        MemoryObject m = new MemoryObject();
        m.length = length;
        m.userVa = va;
        m.hostPa = hostPa;
        state.nextUserVa = va + length;
        return state.add(m);
    }

    /** The region holding all of [va, va+length), or EFAULT (as a bad user pointer). */
    public static MemoryObject byUserVa(ContextState state, long va, long length) {
        for (MemoryObject m : state.all(MemoryObject.class)) {
            if (m.containsUserRange(va, length)) {
                return m;
            }
        }
        throw ErrnoException.of(Errno.EFAULT, "user VA 0x%x+0x%x is not inside one memory region", va, length);
    }
}
