package dev.iommufd.contract.stream;

import dev.iommufd.contract.api.ApiExceptionMappers;
import dev.iommufd.contract.api.Errno;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An SSE response has started (200) before its first event, so a stream of a missing queue must be
 * refused in a request filter, before the resource method: 404 ENOENT like every other call.
 */
public final class StreamOpenCheck {
    private final Pattern path;
    private final String what;

    /** {@code kind}: the path segment of the queues ({@code fault-queues}, {@code veventqs}); {@code what}: for the message. */
    public StreamOpenCheck(String kind, String what) {
        this.path = Pattern.compile("^/?v1/contexts/([^/]+)/" + Pattern.quote(kind) + "/(\\d{1,9})/stream$");
        this.what = what;
    }

    /** Null (go on) unless the request opens the stream of a queue {@code exists(ctx, id)} denies. */
    public Uni<Response> check(ContainerRequestContext request, BiFunction<String, Integer, Uni<Boolean>> exists) {
        Matcher m = path.matcher(request.getUriInfo().getPath());
        if (!m.matches() || !request.getMethod().equals("GET")) {
            return Uni.createFrom().nullItem();
        }
        int id = Integer.parseInt(m.group(2));
        return exists.apply(m.group(1), id).map(found -> found ? null
                : ApiExceptionMappers.response(Errno.ENOENT, 404, "no " + what + " " + id, Map.of()));
    }
}
