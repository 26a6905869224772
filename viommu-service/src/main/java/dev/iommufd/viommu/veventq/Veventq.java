package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.viommu.viommu.Viommu;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/**
 * A vEVENTQ object. Its entries and ring counters ({@code next_sequence}, {@code events}, not
 * mapped here) are {@link VeventqStore}'s; deleting the row deletes the entries (FK cascade).
 */
@Entity
@Table(name = "veventqs")
@IdClass(Viommu.Key.class)
public class Veventq extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    @Column(name = "viommu_id", nullable = false)
    public int viommuId;

    @Column(nullable = false)
    public String type;

    @Column(nullable = false)
    public int depth;

    public static Uni<Veventq> get(String ctx, int id) {
        return Veventq.<Veventq>find("contextId = ?1 and id = ?2", ctx, id).firstResult().map(q -> {
            if (q == null) {
                throw ErrnoException.of(Errno.ENOENT, "no vEVENTQ %d", id);
            }
            return q;
        });
    }
}
