package dev.iommufd.fault.queue;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** A fault queue (IOMMU_FAULT_QUEUE_ALLOC): where page-request groups of its HWPTs are delivered. */
@Entity
@Table(name = "fault_queues")
@IdClass(FaultQueue.Key.class)
public class FaultQueue extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    /** Cookies start at 1 per queue. */
    @Column(name = "next_cookie", nullable = false)
    public int nextCookie = 1;

    public static Uni<FaultQueue> get(String ctx, int id) {
        return FaultQueue.<FaultQueue>find("contextId = ?1 and id = ?2", ctx, id).firstResult().map(q -> {
            if (q == null) {
                throw ErrnoException.of(Errno.ENOENT, "no fault queue %d", id);
            }
            return q;
        });
    }

    public static class Key implements Serializable {
        public String contextId;
        public int id;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.id == id && Objects.equals(k.contextId, contextId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(contextId, id);
        }
    }
}
