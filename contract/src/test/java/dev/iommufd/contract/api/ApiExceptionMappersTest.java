package dev.iommufd.contract.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Framework errors get API.md's errno and the status its table gives that errno. */
class ApiExceptionMappersTest {
    private final ApiExceptionMappers m = new ApiExceptionMappers();

    private static void assertError(int status, String errno, Response r) {
        assertEquals(status, r.getStatus());
        assertEquals(errno, String.valueOf(((Map<?, ?>) r.getEntity()).get("errno")));
    }

    @Test
    void badInputIs400Einval() {
        assertError(400, "EINVAL", m.web(new NotSupportedException()));          // 415: not JSON
        assertError(400, "EINVAL", m.web(new NotAcceptableException()));         // 406
        assertError(400, "EINVAL", m.web(new NotFoundException(new NumberFormatException("abc")))); // ?max=abc
    }

    @Test
    void aMissingResourceStaysEnoent() {
        assertError(404, "ENOENT", m.web(new NotFoundException()));
        assertError(405, "EOPNOTSUPP", m.web(new NotAllowedException("GET")));
    }
}
