package dev.iommufd.ioas.ioas;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.ioas.context.ContextStore;
import dev.iommufd.ioas.core.Area;
import dev.iommufd.ioas.core.IoPageTable;
import dev.iommufd.ioas.core.IovaRange;
import dev.iommufd.ioas.ioas.IoasOps.MapFlag;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** I/O address spaces: IOMMU_IOAS_ALLOC, MAP/MAP_FILE, UNMAP, COPY, IOVA_RANGES, ALLOW_IOVAS, options. */
@Path("/v1/contexts/{ctx}/ioas")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class IoasResource {
    @Inject
    ContextStore store;

    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    public record AllocRequest(List<String> flags) {}

    public record Created(int id) {}

    public record IoasView(int id, U64 alignment, List<Integer> hwpts, int mappings) {}

    public record Range(U64 start, U64 last) {
        static Range of(IovaRange r) {
            return new Range(U64.of(r.start()), U64.of(r.last()));
        }
    }

    public record Ranges(List<Range> ranges, U64 alignment) {}

    public record AllowedIovas(List<Range> ranges) {}

    public record MapRequest(List<String> flags, U64 userVa, Integer memoryId, U64 start, U64 length, U64 iova) {}

    public record IovaResult(U64 iova) {}

    public record UnmapRequest(U64 iova, U64 length) {}

    public record UnmapResult(U64 length) {}

    public record CopyRequest(Integer srcIoasId, U64 srcIova, U64 length, U64 iova, List<String> flags) {}

    public record Mapping(U64 iova, U64 length, List<String> flags, int memoryId, U64 offset) {}

    public record OptionValue(Integer value) {}

    public record InvalidationOption(String mode, Integer batch, Integer maxDelayMs) {}

    enum NoFlag {}

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        if (req != null) {
            Flags.parse(req.flags(), NoFlag.class); // IOMMU_IOAS_ALLOC has no flags yet: any is EOPNOTSUPP
        }
        return store.write(ctx, st -> Response.status(201).entity(new Created(IoasOps.create(st).id)).build());
    }

    @GET
    @Path("{id}")
    public Uni<IoasView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            IoasObject i = IoasOps.get(st, id);
            return new IoasView(i.id, U64.of(i.table.alignment()), List.copyOf(i.hwpts), i.table.areas().size());
        });
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.write(ctx, st -> {
            st.destroy(id, IoasObject.class, "IOAS");
            return Response.noContent().build();
        });
    }

    @GET
    @Path("{id}/iova-ranges")
    public Uni<Ranges> iovaRanges(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            IoPageTable t = IoPageTable.of(IoasOps.get(st, id).table);
            return new Ranges(t.usableRanges().stream().map(Range::of).toList(), U64.of(t.alignment()));
        });
    }

    @GET
    @Path("{id}/allowed-iovas")
    public Uni<AllowedIovas> allowed(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> new AllowedIovas(IoasOps.get(st, id).table.allowed().stream().map(Range::of).toList()));
    }

    @PUT
    @Path("{id}/allowed-iovas")
    public Uni<AllowedIovas> setAllowed(@PathParam("ctx") String ctx, @PathParam("id") int id, AllowedIovas req) {
        List<IovaRange> ranges = new ArrayList<>();
        for (Range r : Require.field(Require.body(req).ranges(), "ranges")) {
            U64 s = Require.field(Require.field(r, "ranges[]").start(), "start");
            U64 l = Require.field(r.last(), "last");
            if (s.compareTo(l) >= 0) {
                throw ErrnoException.of(Errno.EINVAL, "allowed range start >= last");
            }
            ranges.add(new IovaRange(s.bits(), l.bits()));
        }
        return store.write(ctx, st -> {
            IoasOps.setAllowed(st, id, ranges);
            return new AllowedIovas(IoasOps.get(st, id).table.allowed().stream().map(Range::of).toList());
        });
    }

    @POST
    @Path("{id}/map")
    public Uni<Response> map(@PathParam("ctx") String ctx, @PathParam("id") int id, MapRequest req) {
        Require.body(req);
        Set<MapFlag> flags = Flags.parse(req.flags(), MapFlag.class);
        long length = Require.field(req.length(), "length").bits();
        IoasOps.Source src = new IoasOps.Source(req.userVa() == null ? null : req.userVa().bits(), req.memoryId(),
                req.start() == null ? null : req.start().bits());
        Long iova = req.iova() == null ? null : req.iova().bits();
        return store.write(ctx, st -> Response.status(201)
                .entity(new IovaResult(U64.of(IoasOps.map(st, id, flags, src, length, iova).iova()))).build());
    }

    @POST
    @Path("{id}/unmap")
    public Uni<UnmapResult> unmap(@PathParam("ctx") String ctx, @PathParam("id") int id, UnmapRequest req) {
        Require.body(req);
        long iova = Require.field(req.iova(), "iova").bits();
        long length = Require.field(req.length(), "length").bits();
        long start = System.nanoTime();
        String[] mode = {null};
        return store.write(ctx, st -> {
                    mode[0] = IoasOps.get(st, id).invalidationMode;
                    return new UnmapResult(U64.of(IoasOps.unmap(st, id, iova, length).stream().mapToLong(Area::length).sum()));
                })
                // latency of answered unmaps, by invalidation mode (the Grafana dashboard's percentiles)
                .invoke(() -> io.micrometer.core.instrument.Timer.builder("iommufd.ioas.unmap")
                        .description("Answered IOAS unmaps, from request to answer")
                        .tag("mode", mode[0].toLowerCase(java.util.Locale.ROOT))
                        .publishPercentileHistogram()
                        .register(registry)
                        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    @POST
    @Path("{id}/copy")
    public Uni<Response> copy(@PathParam("ctx") String ctx, @PathParam("id") int id, CopyRequest req) {
        Require.body(req);
        int src = Require.field(req.srcIoasId(), "srcIoasId");
        long srcIova = Require.field(req.srcIova(), "srcIova").bits();
        long length = Require.field(req.length(), "length").bits();
        Set<MapFlag> flags = Flags.parse(req.flags(), MapFlag.class);
        Long iova = req.iova() == null ? null : req.iova().bits();
        return store.write(ctx, st -> Response.status(201)
                .entity(new IovaResult(U64.of(IoasOps.copy(st, id, src, srcIova, length, iova, flags).get(0).iova()))).build());
    }

    @GET
    @Path("{id}/mappings")
    public Uni<Map<String, List<Mapping>>> mappings(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> Map.of("mappings", IoasOps.get(st, id).table.areas().stream().map(a -> {
            List<String> f = new ArrayList<>();
            if (a.readable()) {
                f.add("READABLE");
            }
            if (a.writeable()) {
                f.add("WRITEABLE");
            }
            return new Mapping(U64.of(a.iova()), U64.of(a.length()), f, (int) a.memoryId(), U64.of(a.offset()));
        }).toList()));
    }

    @GET
    @Path("{id}/options/huge-pages")
    public Uni<OptionValue> hugePages(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> new OptionValue(IoasOps.get(st, id).hugePages));
    }

    @PUT
    @Path("{id}/options/huge-pages")
    public Uni<OptionValue> setHugePages(@PathParam("ctx") String ctx, @PathParam("id") int id, OptionValue req) {
        int v = Require.field(Require.body(req).value(), "value");
        if (v != 0 && v != 1) {
            throw ErrnoException.of(Errno.EINVAL, "huge-pages must be 0 or 1");
        }
        return store.write(ctx, st -> {
            IoasOps.get(st, id).hugePages = v;
            return new OptionValue(v);
        });
    }

    @GET
    @Path("{id}/options/invalidation")
    public Uni<InvalidationOption> invalidation(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return store.read(ctx, st -> {
            IoasObject i = IoasOps.get(st, id);
            return new InvalidationOption(i.invalidationMode, i.invalidationBatch, i.invalidationMaxDelayMs);
        });
    }

    @PUT
    @Path("{id}/options/invalidation")
    public Uni<InvalidationOption> setInvalidation(@PathParam("ctx") String ctx, @PathParam("id") int id, InvalidationOption req) {
        String mode = Require.field(Require.body(req).mode(), "mode");
        if (!mode.equals("STRICT") && !mode.equals("LAZY")) {
            throw ErrnoException.of(Errno.EINVAL, "mode must be STRICT or LAZY");
        }
        int batch = req.batch() == null ? 250 : req.batch();
        int delay = req.maxDelayMs() == null ? 10 : req.maxDelayMs();
        if (batch < 1 || batch > 65536 || delay < 0 || delay > 60_000) {
            throw ErrnoException.of(Errno.EINVAL, "batch must be 1..65536 and maxDelayMs 0..60000");
        }
        return store.write(ctx, st -> {
            IoasObject i = IoasOps.get(st, id);
            i.invalidationMode = mode;
            i.invalidationBatch = batch;
            i.invalidationMaxDelayMs = delay;
            return new InvalidationOption(mode, batch, delay);
        });
    }
}
