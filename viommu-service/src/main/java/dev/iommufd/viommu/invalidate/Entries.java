package dev.iommufd.viommu.invalidate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.U64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads invalidation entries field by field, so that a malformed entry is "the first bad entry"
 * (its errno, with the entries before it applied) instead of failing the whole body up front.
 * Conventions as everywhere: unknown field E2BIG, missing or malformed field EINVAL.
 */
final class Entries {
    private Entries() {}

    static void onlyFields(JsonNode entry, Set<String> allowed) {
        if (entry == null || !entry.isObject()) {
            throw ErrnoException.of(Errno.EINVAL, "an entry must be a JSON object");
        }
        for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ErrnoException.of(Errno.E2BIG, "unknown field '%s'", f);
            }
        }
    }

    static long u64(JsonNode entry, String field) {
        JsonNode v = entry.get(field);
        if (v == null || v.isNull()) {
            throw ErrnoException.of(Errno.EINVAL, "missing field '%s'", field);
        }
        return value(v, field);
    }

    /** A u64 JSON value (integer, "0x…" or decimal string). */
    static long value(JsonNode v, String what) {
        try {
            if (v.isIntegralNumber()) {
                return U64.fromBig(v.bigIntegerValue()).bits();
            }
            if (v.isTextual()) {
                return U64.parse(v.asText()).bits();
            }
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "%s: %s", what, e.getMessage());
        }
        throw ErrnoException.of(Errno.EINVAL, "%s is not a u64", what);
    }

    static List<String> strings(JsonNode entry, String field) {
        JsonNode v = entry.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw ErrnoException.of(Errno.EINVAL, "'%s' must be an array", field);
        }
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (JsonNode n : v) {
            if (!n.isTextual()) {
                throw ErrnoException.of(Errno.EINVAL, "'%s' holds a non-string", field);
            }
            out.add(n.asText());
        }
        return out;
    }
}
