package dev.iommufd.contract.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure into the errno body of API.md. Client mistakes never produce a 500 or a
 * stack trace: unknown JSON fields are E2BIG, malformed JSON EINVAL; only our own bugs are 500 EIO
 * (logged with their stack trace here, not sent).
 */
public class ApiExceptionMappers {
    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    public static Response response(Errno errno, int status, String message, Map<String, Object> extra) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(errno, message, extra)).build();
    }

    public static Response response(ErrnoException e) {
        return response(e.errno(), e.errno().status(), e.getMessage(), e.extra());
    }

    @ServerExceptionMapper
    public Response errno(ErrnoException e) {
        return response(e);
    }

    private static Response unknownField(UnrecognizedPropertyException e) {
        return response(Errno.E2BIG, 400, "unknown field '" + e.getPropertyName() + "'", Map.of());
    }

    /** Beats Quarkus' built-in mapper of this type (closest type wins), which has no errno body. */
    @ServerExceptionMapper
    public Response unknownProperty(UnrecognizedPropertyException e) {
        return unknownField(e);
    }

    /** Beats Quarkus' built-in mapper of this type (closest type wins), which has no errno body. */
    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return badJson(e);
    }

    /** One mapper for all Jackson failures: the framework may hand us any of its subtypes. */
    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        ErrnoException inner = causeOf(e);
        if (inner != null) {
            return response(inner);
        }
        if (e instanceof UnrecognizedPropertyException u) {
            return unknownField(u);
        }
        // Quarkus' generated (reflection-free) deserializers report an unknown field as a plain
        // JsonMappingException with Jackson's wording: recognise it by that wording.
        String msg = e.getOriginalMessage();
        if (msg != null && msg.startsWith("Unrecognized field")) {
            return response(Errno.E2BIG, 400, msg, Map.of());
        }
        return response(Errno.EINVAL, 400, "malformed request: " + e.getOriginalMessage(), Map.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        ErrnoException inner = causeOf(e);
        if (inner != null) {
            return response(inner);
        }
        if (e.getCause() instanceof UnrecognizedPropertyException u) {
            return unknownField(u);
        }
        if (e.getCause() instanceof JsonProcessingException j) {
            return badJson(j);
        }
        int status = e.getResponse().getStatus();
        if (status == 404 && e.getCause() != null || status == 415 || status == 406) {
            // a path/query parameter that did not convert (JAX-RS answers 404 with the cause), a body
            // that is not JSON, an Accept we cannot serve: the caller's input is bad → 400 EINVAL (API.md)
            return response(Errno.EINVAL, 400, e.getMessage(), Map.of());
        }
        Errno errno = switch (status) {
            case 404 -> Errno.ENOENT;
            case 401 -> Errno.EACCES;
            case 403 -> Errno.EPERM;
            case 405 -> Errno.EOPNOTSUPP;
            default -> status >= 500 ? Errno.EIO : Errno.EINVAL;
        };
        return response(errno, status, e.getMessage(), Map.of());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable t) {
        ErrnoException inner = causeOf(t);
        if (inner != null) {
            return response(inner);
        }
        LOG.error("unexpected failure", t);
        return response(Errno.EIO, 500, "internal error", Map.of());
    }

    private static ErrnoException causeOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ErrnoException e) {
                return e;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }
}
