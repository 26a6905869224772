package dev.iommufd.contract.api;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every call under {@code /v1/contexts/{ctx}} carries the context's bearer token. The signature is
 * checked locally (no call back to ioas-service). Missing, invalid or expired → 401 EACCES; a valid
 * token of another context → 404 ENOENT, so a caller cannot learn which contexts exist.
 */
public class ContextTokenFilter {
    private static final Pattern CONTEXT_PATH = Pattern.compile("^/?v1/contexts/([^/]+)(/.*)?$");

    @Inject
    JWTParser parser;

    @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.AUTHENTICATION)
    public Response check(ContainerRequestContext request) {
        Matcher m = CONTEXT_PATH.matcher(request.getUriInfo().getPath());
        if (!m.matches()) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return denied("missing bearer token");
        }
        JsonWebToken jwt;
        try {
            jwt = parser.parse(header.substring(7).trim());
        } catch (ParseException e) {
            return denied("invalid or expired token");
        }
        if (!m.group(1).equals(jwt.getSubject())) {
            return ApiExceptionMappers.response(Errno.ENOENT, 404, "no such context", Map.of());
        }
        return null;
    }

    private static Response denied(String why) {
        return ApiExceptionMappers.response(Errno.EACCES, 401, why, Map.of());
    }
}
