package dev.iommufd.viommu.veventq;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The queues' contents, in this instance's memory (as the kernel's are in kernel memory): made on
 * first use from the persisted object's depth, so a restart keeps the queue and loses only the
 * events not yet read.
 */
@ApplicationScoped
public class EventRings {
    private final ConcurrentHashMap<String, EventRing> rings = new ConcurrentHashMap<>();

    public EventRing of(Veventq q) {
        return rings.computeIfAbsent(key(q.contextId, q.id), k -> new EventRing(q.depth));
    }

    public void drop(String ctx, int id) {
        rings.remove(key(ctx, id));
    }

    public void dropContext(String ctx) {
        rings.keySet().removeIf(k -> k.startsWith(ctx + "/"));
    }

    private static String key(String ctx, int id) {
        return ctx + "/" + id;
    }
}
