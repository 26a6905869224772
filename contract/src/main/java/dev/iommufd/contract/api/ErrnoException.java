package dev.iommufd.contract.api;

import java.util.Map;

/**
 * A refused call, as iommufd would refuse it. Carries the errno, a human message and, where the
 * contract says so, extra body fields (e.g. {@code entryNum} of a partially applied invalidate).
 */
public class ErrnoException extends RuntimeException {
    private final Errno errno;
    private final Map<String, Object> extra;

    public ErrnoException(Errno errno, String message) {
        this(errno, message, Map.of());
    }

    public ErrnoException(Errno errno, String message, Map<String, Object> extra) {
        super(message, null, false, false);
        this.errno = errno;
        this.extra = Map.copyOf(extra);
    }

    public Errno errno() {
        return errno;
    }

    public Map<String, Object> extra() {
        return extra;
    }

    public static ErrnoException of(Errno errno, String fmt, Object... args) {
        return new ErrnoException(errno, args.length == 0 ? fmt : String.format(fmt, args));
    }
}
