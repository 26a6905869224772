package dev.iommufd.viommu.support;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.U64;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * For this module's tests only: ioas-service's internal nesting API, served by the application
 * under test on its own port (viommu-service's tests run without ioas-service). It keeps a tiny
 * object table per context with the same answers as ioas-service's {@code NestingOps} for the
 * cases the tests use (ioas-service's own tests cover its rules exhaustively). Tests seed devices
 * and paging HWPTs with {@link #device} and {@link #pagingHwpt}.
 */
@Path("/v1/internal/contexts/{ctx}/nesting")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class IoasStandIn {
    /** One entry of the stand-in's table; {@code fields} holds what the type needs. */
    public static final class Obj {
        final int id;
        final String type;
        final Map<String, Object> f = new ConcurrentHashMap<>();
        int users;

        Obj(int id, String type) {
            this.id = id;
            this.type = type;
        }
    }

    static final class Ctx {
        int nextId = 1;
        final Map<Integer, Obj> objects = new ConcurrentHashMap<>();
        /** device id → nested HWPT id it is attached to */
        final Map<Integer, Integer> attached = new ConcurrentHashMap<>();

        Obj add(String type) {
            Obj o = new Obj(nextId++, type);
            objects.put(o.id, o);
            return o;
        }
    }

    static final Map<String, Ctx> CONTEXTS = new ConcurrentHashMap<>();

    static Ctx ctx(String c) {
        return CONTEXTS.computeIfAbsent(c, k -> new Ctx());
    }

    /** Binds a device: returns its id. {@code iommuType} ARM_SMMUV3 or INTEL_VTD. */
    public static synchronized int device(String c, String rid, String iommu, String iommuType, Integer sid, boolean ats) {
        Obj o = ctx(c).add("DEVICE");
        o.f.put("rid", rid);
        o.f.put("iommu", iommu);
        o.f.put("iommuType", iommuType);
        if (sid != null) {
            o.f.put("sid", sid);
        }
        o.f.put("ats", ats);
        return o.id;
    }

    public static synchronized int pagingHwpt(String c, String iommu, String iommuType, boolean nestParent) {
        Obj o = ctx(c).add("HWPT_PAGING");
        o.f.put("iommu", iommu);
        o.f.put("iommuType", iommuType);
        o.f.put("nestParent", nestParent);
        return o.id;
    }

    public static synchronized int users(String c, int id) {
        return ctx(c).objects.get(id).users;
    }

    /** A device attach as ioas-service's attachment endpoint would make it (holds the nested HWPT). */
    public static synchronized void attach(String c, int deviceId, int nestedId) {
        ctx(c).attached.put(deviceId, nestedId);
        ctx(c).objects.get(nestedId).users++;
    }

    public static synchronized void detach(String c, int deviceId) {
        Integer n = ctx(c).attached.remove(deviceId);
        if (n != null) {
            ctx(c).objects.get(n).users--;
        }
    }

    /** An unbind: the device's vdevice leaves the table (its id is never reused). */
    public static synchronized void unbindVdevices(String c, int deviceId) {
        ctx(c).objects.values().removeIf(o -> {
            if (o.type.equals("VDEVICE") && o.f.get("deviceId").equals(deviceId)) {
                ctx(c).objects.get((Integer) o.f.get("viommuId")).users--;
                return true;
            }
            return false;
        });
    }

    static Obj get(Ctx c, int id, String type, Errno e) {
        Obj o = c.objects.get(id);
        if (o == null || !o.type.equals(type)) {
            throw ErrnoException.of(e, "no %s %d", type, id);
        }
        return o;
    }

    public record ViommuRequest(String type, Integer deviceId, Integer hwptId) {}

    public record VdeviceRequest(Integer viommuId, Integer deviceId, U64 virtId) {}

    public record NestedRequest(Integer deviceId, Integer ptId, List<String> flags, Integer faultId) {}

    public record VeventqRequest(Integer viommuId, String type) {}

    @POST
    @Path("viommus")
    public synchronized Response viommu(@PathParam("ctx") String c, ViommuRequest r) {
        Ctx x = ctx(c);
        Obj dev = get(x, r.deviceId(), "DEVICE", Errno.ENOENT);
        Obj parent = get(x, r.hwptId(), "HWPT_PAGING", Errno.ENOENT);
        if (!(Boolean) parent.f.get("nestParent")) {
            throw ErrnoException.of(Errno.EINVAL, "not a NEST_PARENT");
        }
        if (!dev.f.get("iommuType").equals(r.type())) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "type mismatch");
        }
        Obj v = x.add("VIOMMU");
        v.f.put("iommu", dev.f.get("iommu"));
        v.f.put("parent", parent.id);
        parent.users++;
        return Response.status(201).entity(Map.of("id", v.id, "iommu", dev.f.get("iommu"), "parentDomain", c + "/" + parent.id,
                "parentHwptId", parent.id)).build();
    }

    @POST
    @Path("vdevices")
    public synchronized Response vdevice(@PathParam("ctx") String c, VdeviceRequest r) {
        Ctx x = ctx(c);
        Obj v = get(x, r.viommuId(), "VIOMMU", Errno.ENOENT);
        Obj dev = get(x, r.deviceId(), "DEVICE", Errno.ENOENT);
        if (!dev.f.get("iommu").equals(v.f.get("iommu"))) {
            throw ErrnoException.of(Errno.EINVAL, "another IOMMU");
        }
        for (Obj o : x.objects.values()) {
            if (o.type.equals("VDEVICE") && (o.f.get("deviceId").equals(dev.id)
                    || o.f.get("viommuId").equals(v.id) && o.f.get("virtId").equals(r.virtId().bits()))) {
                throw ErrnoException.of(Errno.EEXIST, "vdevice exists");
            }
        }
        Obj vd = x.add("VDEVICE");
        vd.f.put("viommuId", v.id);
        vd.f.put("deviceId", dev.id);
        vd.f.put("virtId", r.virtId().bits());
        v.users++;
        java.util.HashMap<String, Object> body = new java.util.HashMap<>(Map.of("id", vd.id, "rid", dev.f.get("rid"),
                "iommu", dev.f.get("iommu"), "ats", dev.f.get("ats")));
        body.put("sid", dev.f.get("sid"));
        if (unbindRightAfterVdeviceAlloc) {
            // a race: the device's unbind lands between this allocation and viommu-service's commit
            unbindRightAfterVdeviceAlloc = false;
            unbindVdevices(c, dev.id);
        }
        return Response.status(201).entity(body).build();
    }

    /** Set by a test: the next vdevice allocation is followed at once by its device's unbind. */
    public static volatile boolean unbindRightAfterVdeviceAlloc;

    @POST
    @Path("nested-hwpts")
    public synchronized Response nested(@PathParam("ctx") String c, NestedRequest r) {
        Ctx x = ctx(c);
        Obj dev = get(x, r.deviceId(), "DEVICE", Errno.ENOENT);
        Obj pt = x.objects.get(r.ptId());
        Obj parent;
        Obj viommu = null;
        if (pt != null && pt.type.equals("VIOMMU")) {
            if (!pt.f.get("iommu").equals(dev.f.get("iommu"))) {
                throw ErrnoException.of(Errno.EINVAL, "vIOMMU on another IOMMU");
            }
            viommu = pt;
            parent = x.objects.get((Integer) pt.f.get("parent"));
        } else if (pt != null && pt.type.equals("HWPT_PAGING") && (Boolean) pt.f.get("nestParent")) {
            parent = pt;
        } else {
            throw ErrnoException.of(Errno.EINVAL, "not a vIOMMU nor a NEST_PARENT");
        }
        Obj n = x.add("HWPT_NESTED");
        (viommu != null ? viommu : parent).users++;
        n.f.put("holds", (viommu != null ? viommu : parent).id);
        java.util.HashMap<String, Object> body = new java.util.HashMap<>(Map.of("id", n.id, "iommu", dev.f.get("iommu"),
                "iommuType", dev.f.get("iommuType"), "addressWidth", 48, "parentHwptId", parent.id,
                "parentDomain", c + "/" + parent.id));
        body.put("viommuId", viommu == null ? null : viommu.id);
        body.put("faultId", r.faultId());
        return Response.status(201).entity(body).build();
    }

    @POST
    @Path("veventqs")
    public synchronized Response veventq(@PathParam("ctx") String c, VeventqRequest r) {
        Ctx x = ctx(c);
        Obj v = get(x, r.viommuId(), "VIOMMU", Errno.ENOENT);
        for (Obj o : x.objects.values()) {
            if (o.type.equals("VEVENTQ") && o.f.get("viommuId").equals(v.id) && o.f.get("qtype").equals(r.type())) {
                throw ErrnoException.of(Errno.EEXIST, "same type twice");
            }
        }
        Obj q = x.add("VEVENTQ");
        q.f.put("viommuId", v.id);
        q.f.put("qtype", r.type());
        v.users++;
        return Response.status(201).entity(Map.of("id", q.id)).build();
    }

    @DELETE
    @Path("{id}")
    public synchronized Response release(@PathParam("ctx") String c, @PathParam("id") int id) {
        Ctx x = ctx(c);
        Obj o = x.objects.get(id);
        if (o == null || !List.of("VIOMMU", "VDEVICE", "HWPT_NESTED", "VEVENTQ").contains(o.type)) {
            throw ErrnoException.of(Errno.ENOENT, "no object %d", id);
        }
        if (o.users > 0) {
            throw ErrnoException.of(Errno.EBUSY, "object %d in use", id);
        }
        x.objects.remove(id);
        Object held = switch (o.type) {
            case "VIOMMU" -> o.f.get("parent");
            case "VDEVICE", "VEVENTQ" -> o.f.get("viommuId");
            default -> o.f.get("holds");
        };
        x.objects.get((Integer) held).users--;
        return Response.noContent().build();
    }

    @GET
    @Path("objects/{id}")
    public synchronized Map<String, Object> object(@PathParam("ctx") String c, @PathParam("id") int id) {
        Obj o = ctx(c).objects.get(id);
        if (o == null) {
            throw ErrnoException.of(Errno.ENOENT, "no object %d", id);
        }
        return Map.of("id", id, "type", o.type);
    }

    @GET
    @Path("nested-hwpts/{id}/devices")
    public synchronized Map<String, Object> attached(@PathParam("ctx") String c, @PathParam("id") int id) {
        Ctx x = ctx(c);
        get(x, id, "HWPT_NESTED", Errno.ENOENT);
        List<Map<String, Object>> out = new ArrayList<>();
        x.attached.forEach((dev, n) -> {
            if (n == id) {
                Obj d = x.objects.get(dev);
                out.add(Map.of("id", dev, "rid", d.f.get("rid"), "ats", d.f.get("ats")));
            }
        });
        return Map.of("devices", out);
    }
}
