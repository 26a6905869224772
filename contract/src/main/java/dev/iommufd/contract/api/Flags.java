package dev.iommufd.contract.api;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Flag arrays of upper-case names: an unknown name is EOPNOTSUPP, as an unknown flag bit in iommufd. */
public final class Flags {
    private Flags() {}

    public static <E extends Enum<E>> Set<E> parse(List<String> names, Class<E> type) {
        EnumSet<E> set = EnumSet.noneOf(type);
        if (names == null) {
            return set;
        }
        for (String n : names) {
            if (n == null) {
                throw ErrnoException.of(Errno.EINVAL, "null flag");
            }
            try {
                set.add(Enum.valueOf(type, n));
            } catch (IllegalArgumentException e) {
                throw ErrnoException.of(Errno.EOPNOTSUPP, "unknown flag %s", n);
            }
        }
        return set;
    }

    public static <E extends Enum<E>> List<String> names(Set<E> flags) {
        return flags.stream().map(Enum::name).toList();
    }
}
