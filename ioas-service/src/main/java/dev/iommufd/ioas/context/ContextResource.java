package dev.iommufd.ioas.context;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Contexts (open /dev/iommu), their object table listing and context-wide options. */
@Path("/v1/contexts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ContextResource {
    @Inject
    TokenIssuer tokens;

    public record Created(String id, String token) {}

    public record ObjectRef(int id, String type) {}

    public record OptionValue(Integer value) {}

    @POST
    @WithTransaction
    public Uni<Response> open() {
        Context c = new Context();
        c.id = UUID.randomUUID().toString();
        c.createdAt = Instant.now();
        return c.persist().map(ignored -> Response.status(201).entity(new Created(c.id, tokens.issue(c.id))).build());
    }

    @DELETE
    @Path("{ctx}")
    @WithTransaction
    public Uni<Response> close(@PathParam("ctx") String ctx) {
        return find(ctx).flatMap(c -> IommufdObject.delete("contextId", ctx).flatMap(n -> c.delete()))
                .map(ignored -> Response.noContent().build());
    }

    @GET
    @Path("{ctx}/objects")
    @WithSession
    public Uni<Map<String, List<ObjectRef>>> objects(@PathParam("ctx") String ctx) {
        return find(ctx).flatMap(c -> IommufdObject.<IommufdObject>list("contextId = ?1 order by id", ctx))
                .map(list -> Map.of("objects", list.stream().map(o -> new ObjectRef(o.id, o.type)).toList()));
    }

    @GET
    @Path("{ctx}/options/rlimit-mode")
    @WithSession
    public Uni<OptionValue> rlimitMode(@PathParam("ctx") String ctx) {
        return find(ctx).map(c -> new OptionValue((int) c.rlimitMode));
    }

    /** IOMMU_OPTION_RLIMIT_MODE can only change while the context has no objects (EBUSY otherwise). */
    @PUT
    @Path("{ctx}/options/rlimit-mode")
    @WithTransaction
    public Uni<OptionValue> setRlimitMode(@PathParam("ctx") String ctx, OptionValue body) {
        int value = Require.field(Require.body(body).value(), "value");
        if (value != 0 && value != 1) {
            throw ErrnoException.of(Errno.EINVAL, "rlimit-mode must be 0 or 1");
        }
        return find(ctx).flatMap(c -> IommufdObject.count("contextId", ctx).map(n -> {
            if (n > 0) {
                throw ErrnoException.of(Errno.EBUSY, "context has %d objects", n);
            }
            c.rlimitMode = (short) value;
            return new OptionValue(value);
        }));
    }

    static Uni<Context> find(String ctx) {
        return Context.<Context>findById(ctx).map(c -> {
            if (c == null) {
                throw ErrnoException.of(Errno.ENOENT, "no such context");
            }
            return c;
        });
    }
}
