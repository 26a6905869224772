package dev.iommufd.viommu.ioas;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import jakarta.ws.rs.WebApplicationException;

/** Passes on the errno ioas-service answered with (its body follows API.md); anything else is EIO. */
public final class RemoteErrno {
    private RemoteErrno() {}

    public static Throwable of(Throwable t) {
        if (t instanceof ErrnoException) {
            return t;
        }
        if (t instanceof WebApplicationException w) {
            try {
                JsonNode body = w.getResponse().readEntity(JsonNode.class);
                Errno e = Errno.valueOf(body.path("errno").asText());
                return new ErrnoException(e, body.path("message").asText(e.name()));
            } catch (RuntimeException ignored) {
                // fall through
            }
        }
        return ErrnoException.of(Errno.EIO, "ioas-service unavailable: %s", t.getMessage());
    }

    /** The errno of a failure after {@link #of}, or null. */
    public static Errno errno(Throwable t) {
        return of(t) instanceof ErrnoException e ? e.errno() : null;
    }
}
