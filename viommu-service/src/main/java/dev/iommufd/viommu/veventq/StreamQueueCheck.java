package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.api.ApiExceptionMappers;
import dev.iommufd.contract.api.Errno;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * An SSE response has started (200) before its first event, so a stream of a missing vEVENTQ is
 * refused here, before the resource method: 404 ENOENT like every other call (after the token check).
 */
public class StreamQueueCheck {
    private static final Pattern STREAM = Pattern.compile("^/?v1/contexts/([^/]+)/veventqs/(\\d{1,9})/stream$");

    @Inject
    VeventqStore store;

    @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.USER)
    public Uni<Response> check(ContainerRequestContext request) {
        Matcher m = STREAM.matcher(request.getUriInfo().getPath());
        if (!m.matches() || !request.getMethod().equals("GET")) {
            return Uni.createFrom().nullItem();
        }
        int id = Integer.parseInt(m.group(2));
        return store.exists(m.group(1), id).map(exists -> exists ? null
                : ApiExceptionMappers.response(Errno.ENOENT, 404, "no vEVENTQ " + id, Map.of()));
    }
}
