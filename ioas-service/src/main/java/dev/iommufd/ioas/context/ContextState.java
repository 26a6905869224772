package dev.iommufd.ioas.context;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Everything ioas-service knows about one context: the object table (one id space, ids never
 * reused) and the objects it owns. Pure Java; loaded, changed and stored whole inside one database
 * transaction that holds the context's row lock, so a failed call changes nothing.
 */
public class ContextState {
    public int nextId = 1;
    public short rlimitMode;
    /** Next user VA handed to a MEMORY region of this context. */
    public long nextUserVa = 0x7f0000000000L;
    public TreeMap<Integer, IommufdObject> objects = new TreeMap<>();

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
