package dev.iommufd.sim.platform;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.cache.CachedTranslation;
import dev.iommufd.sim.cache.TranslationCache;
import dev.iommufd.sim.dma.DmaEngine;
import dev.iommufd.sim.dma.DmaJob;
import dev.iommufd.sim.dma.DmaResult;
import dev.iommufd.sim.pri.PriQueue;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** hw-sim's admin and test surface: DMA, caches, statistics, state digest. */
@Path("/v1/hw")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class HardwareResource {
    /** One DMA moves at most this much (a test tool, not a bulk copier). */
    static final int MAX_DMA = 1 << 20;

    @Inject
    Platform platform;

    @Inject
    Topology topology;

    @Inject
    DmaEngine engine;

    /** The longest a DMA may wait for one page response (a test tool: bounded). */
    static final long MAX_PRI_TIMEOUT_MS = 600_000;

    public record PageRequestBody(Integer pasid, Integer grpid, List<String> perm, U64 addr, Boolean last) {}

    public record EventBody(String rid, String type, U64 addr, Integer pasid) {}

    public record DmaRequest(Integer pasid, U64 iova, U64 length, Boolean write, String data, Long priTimeoutMs, Boolean priv) {}

    public record CacheEntry(String domain, Integer pasid, U64 iova, U64 length, List<String> perm) {
        static CacheEntry of(CachedTranslation t) {
            return new CacheEntry(t.domain(), t.pasid(), U64.of(t.leaf().iova()), U64.of(t.leaf().size()),
                    t.leaf().write() ? (t.leaf().read() ? List.of("READ", "WRITE") : List.of("WRITE")) : List.of("READ"));
        }
    }

    @POST
    @Path("devices/{rid}/dma")
    public DmaResult dma(@PathParam("rid") String rid, DmaRequest req) {
        Require.body(req);
        long iova = Require.field(req.iova(), "iova").bits();
        boolean write = Require.field(req.write(), "write");
        byte[] data = null;
        long length;
        if (write) {
            try {
                data = Base64.getDecoder().decode(Require.field(req.data(), "data"));
            } catch (IllegalArgumentException e) {
                throw ErrnoException.of(Errno.EINVAL, "data is not base64");
            }
            length = req.length() == null ? data.length : req.length().bits();
            if (length != data.length) {
                throw ErrnoException.of(Errno.EINVAL, "length does not match data");
            }
        } else {
            length = Require.field(req.length(), "length").bits();
        }
        if (length == 0 || Long.compareUnsigned(length, MAX_DMA) > 0) {
            throw ErrnoException.of(Errno.EINVAL, "length must be 1..%d", MAX_DMA);
        }
        if (Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw ErrnoException.of(Errno.EOVERFLOW, "iova + length past 2^64");
        }
        if (topology.device(rid).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no device %s", rid);
        }
        boolean priv = Boolean.TRUE.equals(req.priv());
        if (priv && req.pasid() == null) {
            throw ErrnoException.of(Errno.EINVAL, "priv is for PASID requests only");
        }
        checkPasid(req.pasid());
        long timeout = req.priTimeoutMs() == null ? DmaEngine.DEFAULT_PRI_TIMEOUT_MS : req.priTimeoutMs();
        if (timeout < 0 || timeout > MAX_PRI_TIMEOUT_MS) {
            throw ErrnoException.of(Errno.EINVAL, "priTimeoutMs must be 0..%d", MAX_PRI_TIMEOUT_MS);
        }
        // no platform lock here: the engine takes it per step and releases it while a page request waits
        try {
            return engine.run(new DmaJob(rid, req.pasid(), iova, (int) length, write, data, priv), timeout);
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "%s", e.getMessage());
        }
    }

    private static void checkPasid(Integer pasid) {
        if (pasid != null && (pasid < 0 || pasid >= 1 << 20)) {
            throw ErrnoException.of(Errno.EINVAL, "pasid must be 0..2^20-1");
        }
    }

    private static final Set<String> PERMS = Set.of("READ", "WRITE", "EXEC", "PRIV");

    /**
     * Injects one PRI request into the fault queue of the HWPT the RID (or RID+PASID) is attached to.
     * EINVAL: bad fields, device without PRI, not attached, or HWPT without fault queue; EBUSY: the
     * device's outstanding budget is used up or the PRGI belongs to another outstanding group.
     */
    @POST
    @Path("devices/{rid}/page-requests")
    public Response pageRequest(@PathParam("rid") String rid, PageRequestBody req) {
        Require.body(req);
        int grpid = Require.field(req.grpid(), "grpid");
        long addr = Require.field(req.addr(), "addr").bits();
        boolean last = Require.field(req.last(), "last");
        List<String> perm = Require.field(req.perm(), "perm");
        if (grpid < 0 || grpid >= PriQueue.PRGI_COUNT) {
            throw ErrnoException.of(Errno.EINVAL, "grpid must be 0..%d", PriQueue.PRGI_COUNT - 1);
        }
        for (String p : perm) {
            if (!PERMS.contains(p)) {
                throw ErrnoException.of(Errno.EINVAL, "perm %s is not one of READ, WRITE, EXEC, PRIV", p);
            }
        }
        checkPasid(req.pasid());
        if (topology.device(rid).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no device %s", rid);
        }
        try {
            engine.injectPageRequest(rid, req.pasid(), grpid, perm.contains("READ"), perm.contains("WRITE"), perm.contains("EXEC"),
                    perm.contains("PRIV"), addr, last);
        } catch (PriQueue.PriRefusedException e) {
            throw ErrnoException.of(Errno.EBUSY, "%s", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "%s", e.getMessage());
        }
        return Response.accepted().build();
    }

    /** Injects one hardware event record (types: SMMUv3 event names / VT-d fault reason names, see EventRecords). */
    @POST
    @Path("iommus/{id}/events")
    public Response event(@PathParam("id") String id, EventBody req) {
        Require.body(req);
        String rid = Require.field(req.rid(), "rid");
        String type = Require.field(req.type(), "type");
        long addr = Require.field(req.addr(), "addr").bits();
        checkPasid(req.pasid());
        if (topology.iommu(id).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no IOMMU %s", id);
        }
        if (topology.device(rid).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no device %s", rid);
        }
        try {
            engine.injectEvent(id, rid, type, addr, req.pasid());
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "%s", e.getMessage());
        }
        return Response.accepted().build();
    }

    @GET
    @Path("iommus/{id}/iotlb")
    public Map<String, List<CacheEntry>> iotlb(@PathParam("id") String id) {
        if (topology.iommu(id).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no IOMMU %s", id);
        }
        synchronized (platform) {
            return Map.of("entries", platform.iotlb(id).entries().stream().map(CacheEntry::of).toList());
        }
    }

    @GET
    @Path("devices/{rid}/atc")
    public Map<String, List<CacheEntry>> atc(@PathParam("rid") String rid) {
        if (topology.device(rid).isEmpty()) {
            throw ErrnoException.of(Errno.ENOENT, "no device %s", rid);
        }
        synchronized (platform) {
            TranslationCache atc = platform.atc(rid);
            return Map.of("entries", atc == null ? List.of() : atc.entries().stream().map(CacheEntry::of).toList());
        }
    }

    @GET
    @Path("stats")
    public Map<String, Object> stats() {
        synchronized (platform) {
            Map<String, Object> out = new LinkedHashMap<>(view(platform.totals()));
            Map<String, Object> per = new LinkedHashMap<>();
            platform.counters().forEach((k, v) -> per.put(k, view(v)));
            out.put("iommus", per);
            return out;
        }
    }

    @GET
    @Path("state/digest")
    public Map<String, String> digest() {
        synchronized (platform) {
            return Map.of("digest", platform.digest());
        }
    }

    private static Map<String, Object> view(Counters c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iotlbHits", c.iotlbHits);
        m.put("iotlbMisses", c.iotlbMisses);
        m.put("atcHits", c.atcHits);
        m.put("walks", c.walks);
        m.put("configHits", c.configHits);
        m.put("configMisses", c.configMisses);
        m.put("invalidations", c.invalidations);
        m.put("pageRequests", c.pageRequests);
        m.put("unknownResponses", c.unknownResponses);
        m.put("faults", c.faults);
        m.put("staleTranslations", c.staleTranslations);
        return m;
    }
}
