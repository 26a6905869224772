package dev.iommufd.ioas.context;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.ioas.device.DeviceObject;
import dev.iommufd.ioas.hwpt.HwptOps;
import dev.iommufd.ioas.hwpt.HwptPagingObject;
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

/** Contexts (open /dev/iommu), their object table and IOMMU_DESTROY, context-wide options. */
@Path("/v1/contexts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ContextResource {
    @Inject
    TokenIssuer tokens;

    @Inject
    ContextStore store;

    public record Created(String id, String token) {}

    public record ObjectRef(int id, String type) {}

    public record OptionValue(Integer value) {}

    @POST
    @WithTransaction
    public Uni<Response> open() {
        Context c = new Context();
        c.id = UUID.randomUUID().toString();
        c.createdAt = Instant.now();
        ContextState st = new ContextState();
        st.contextId = c.id;
        c.state = ContextStore.encode(st);
        return c.persist().map(ignored -> Response.status(201).entity(new Created(c.id, tokens.issue(c.id))).build());
    }

    /** Close the fd: every object goes, devices are unbound, the hardware forgets the context, fault-service drops its queues. */
    @DELETE
    @Path("{ctx}")
    public Uni<Response> close(@PathParam("ctx") String ctx) {
        return store.close(ctx).map(ignored -> Response.noContent().build());
    }

    @GET
    @Path("{ctx}/objects")
    public Uni<Map<String, List<ObjectRef>>> objects(@PathParam("ctx") String ctx) {
        return store.read(ctx, st -> Map.of("objects",
                st.objects.values().stream().map(o -> new ObjectRef(o.id, o.type().name())).toList()));
    }

    @Inject
    @org.eclipse.microprofile.rest.client.inject.RestClient
    OwnerServices owners;

    @Inject
    @org.eclipse.microprofile.rest.client.inject.RestClient
    dev.iommufd.ioas.nesting.ViommuService viommuService;

    /**
     * IOMMU_DESTROY for any type. Objects owned here are destroyed here; a FAULT goes to
     * fault-service's typed destroy with the caller's token (without holding this context's lock,
     * since that service releases the id here).
     */
    @DELETE
    @Path("{ctx}/objects/{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id,
                                 @jakarta.ws.rs.HeaderParam("Authorization") String authorization) {
        return store.read(ctx, st -> st.find(id)).flatMap(o -> {
            if (o instanceof ExternalObject e && e.kind == ObjectType.FAULT) {
                return owners.destroyFaultQueue(ctx, id, authorization)
                        .map(r -> Response.noContent().build())
                        .onFailure(jakarta.ws.rs.WebApplicationException.class)
                        .recoverWithItem(t -> ((jakarta.ws.rs.WebApplicationException) t).getResponse());
            }
            String viommuKind = o == null ? null : switch (o.type()) {
                case VIOMMU -> "viommus";
                case VDEVICE -> "vdevices";
                case HWPT_NESTED -> "nested-hwpts";
                case VEVENTQ -> "veventqs";
                default -> null;
            };
            if (viommuKind != null) {
                // viommu-service's typed destroy releases the id here itself: not under this context's lock
                return viommuService.destroy(ctx, viommuKind, id, authorization)
                        .map(r -> Response.noContent().build())
                        .onFailure(jakarta.ws.rs.WebApplicationException.class)
                        .recoverWithItem(t -> ((jakarta.ws.rs.WebApplicationException) t).getResponse());
            }
            return store.write(ctx, st -> {
                destroy(st, id);
                return Response.noContent().build();
            });
        });
    }

    static void destroy(ContextState st, int id) {
        IommufdObject o = st.find(id);
        if (o == null) {
            throw ErrnoException.of(Errno.ENOENT, "no object %d", id);
        }
        if (o instanceof HwptPagingObject h) {
            HwptOps.destroy(st, h);
        } else if (o instanceof DeviceObject) {
            throw ErrnoException.of(Errno.EBUSY, "a device is held by its binding: unbind it (DELETE …/devices/%d)", id);
        } else if (o instanceof ExternalObject) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "%s objects are destroyed by %s", o.type(), o.type().owner());
        } else {
            st.destroy(id);
        }
    }

    @GET
    @Path("{ctx}/options/rlimit-mode")
    public Uni<OptionValue> rlimitMode(@PathParam("ctx") String ctx) {
        return store.read(ctx, st -> new OptionValue((int) st.rlimitMode));
    }

    /** IOMMU_OPTION_RLIMIT_MODE can only change while the context has no objects (EBUSY otherwise). */
    @PUT
    @Path("{ctx}/options/rlimit-mode")
    public Uni<OptionValue> setRlimitMode(@PathParam("ctx") String ctx, OptionValue body) {
        int value = Require.field(Require.body(body).value(), "value");
        if (value != 0 && value != 1) {
            throw ErrnoException.of(Errno.EINVAL, "rlimit-mode must be 0 or 1");
        }
        return store.write(ctx, st -> {
            if (!st.objects.isEmpty()) {
                throw ErrnoException.of(Errno.EBUSY, "context has %d objects", st.objects.size());
            }
            st.rlimitMode = (short) value;
            return new OptionValue(value);
        });
    }
}
