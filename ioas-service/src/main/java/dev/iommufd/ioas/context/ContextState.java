package dev.iommufd.ioas.context;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.ioas.events.HwCommand;

/**
 * Everything ioas-service knows about one context: the object table (one id space, ids never
 * reused) and the objects it owns. Pure Java; loaded, changed and stored whole inside one database
 * transaction that holds the context's row lock, so a failed call changes nothing.
 */
public class ContextState {
    public String contextId;
    public int nextId = 1;
    public short rlimitMode;
    /** Next user VA handed to a MEMORY region of this context. */
    public long nextUserVa = 0x7f0000000000L;
    public TreeMap<Integer, IommufdObject> objects = new TreeMap<>();

    /** Hardware commands this change needs, in order; not stored with the state (they go to the outbox). */
    @JsonIgnore
    public final List<HwCommand> commands = new ArrayList<>();

    public void emit(String key, EventPayload payload) {
        emit(key, payload, false);
    }

    /** {@code deferred}: the command waits for the lazy flush (see {@link HwCommand#deferred()}). */
    public void emit(String key, EventPayload payload, boolean deferred) {
        commands.add(new HwCommand(key, payload, deferred));
    }

    /** Set by a LAZY unmap: the call answers once committed, without waiting for the hardware. */
    @JsonIgnore
    public boolean deferFlush;

    /** The queues (IOMMUs) that got commands to publish now, in first-use order (context events need no sync). */
    @JsonIgnore
    public java.util.Set<String> queuesUsed() {
        java.util.LinkedHashSet<String> used = new java.util.LinkedHashSet<>();
        for (HwCommand c : commands) {
            if (!c.deferred() && dev.iommufd.contract.events.Topics.HW_COMMANDS.equals(dev.iommufd.contract.events.Topics.of(c.payload()))) {
                used.add(c.key());
            }
        }
        return used;
    }

    /** Commands that leave nothing of this context in the hardware: devices detached, domains dropped. */
    public void teardown() {
        java.util.Map<Integer, String> homes = new java.util.HashMap<>();
        for (IommufdObject o : objects.values()) {
            if (o instanceof dev.iommufd.ioas.hwpt.HwptPagingObject h) {
                homes.put(h.id, h.iommu);
            }
        }
        // nested HWPTs (viommu-service's data, attached here) and vIOMMUs go before their parents
        java.util.Map<Integer, String> nested = new java.util.TreeMap<>();
        for (IommufdObject o : objects.values()) {
            if (o instanceof dev.iommufd.ioas.nesting.NestedHwptObject n) {
                nested.put(n.id, n.iommu);
            }
        }
        for (IommufdObject o : objects.values()) {
            if (o instanceof dev.iommufd.ioas.device.DeviceObject d) {
                if (d.attachedHwpt != null) {
                    emit(homes.getOrDefault(d.attachedHwpt, nested.get(d.attachedHwpt)), new dev.iommufd.contract.events.AttachDevice(d.rid, null, null));
                }
                d.pasids.forEach((pasid, h) -> emit(homes.getOrDefault(h, nested.get(h)), new dev.iommufd.contract.events.AttachDevice(d.rid, pasid, null)));
            }
        }
        nested.forEach((id, iommu) -> emit(iommu, new dev.iommufd.contract.events.DomainDestroy(domainName(id))));
        for (IommufdObject o : objects.values()) {
            if (o instanceof dev.iommufd.ioas.nesting.ViommuObject v) {
                emit(v.iommu, new dev.iommufd.contract.events.ViommuFree(domainName(v.id)));
            }
        }
        homes.forEach((id, iommu) -> emit(iommu, new dev.iommufd.contract.events.DomainDestroy(domainName(id))));
    }

    /** The hardware name of a paging HWPT of this context (unique across contexts). */
    public String domainName(int hwptId) {
        return contextId + "/" + hwptId;
    }

    public <T extends IommufdObject> T add(T obj) {
        obj.id = nextId++;
        objects.put(obj.id, obj);
        return obj;
    }

    /** The object {@code id} of the given class; a missing id or another type is ENOENT. */
    public <T extends IommufdObject> T get(int id, Class<T> type, String what) {
        IommufdObject o = objects.get(id);
        if (!type.isInstance(o)) {
            throw ErrnoException.of(Errno.ENOENT, "no %s %d", what, id);
        }
        return type.cast(o);
    }

    public IommufdObject find(int id) {
        return objects.get(id);
    }

    /** Removes an object; EBUSY while anything holds it. */
    public void destroy(int id) {
        IommufdObject o = objects.get(id);
        if (o == null) {
            throw ErrnoException.of(Errno.ENOENT, "no object %d", id);
        }
        if (o.users > 0) {
            throw ErrnoException.of(Errno.EBUSY, "object %d is in use (%d users)", id, o.users);
        }
        objects.remove(id);
    }

    /** IOMMU_DESTROY through a typed URL: ENOENT unless {@code id} is of that type, EBUSY while held. */
    public <T extends IommufdObject> void destroy(int id, Class<T> type, String what) {
        get(id, type, what);
        destroy(id);
    }

    /** Removes an object nothing else refers to any more (the last reference went away). */
    public void drop(int id) {
        objects.remove(id);
    }

    @JsonIgnore
    public <T extends IommufdObject> List<T> all(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (IommufdObject o : objects.values()) {
            if (type.isInstance(o)) {
                out.add(type.cast(o));
            }
        }
        return out;
    }
}
