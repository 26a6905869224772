package dev.iommufd.ioas.context;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One open /dev/iommu. */
@Entity
@Table(name = "contexts")
public class Context extends PanacheEntityBase {
    @Id
    public String id;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    /** IOMMU_OPTION_RLIMIT_MODE: 0 = per-user accounting, 1 = per-process. */
    @Column(name = "rlimit_mode", nullable = false)
    public short rlimitMode;

    /** Next object id of this context's id space (ids are never reused while the context lives). */
    @Column(name = "next_id", nullable = false)
    public int nextId = 1;
}
