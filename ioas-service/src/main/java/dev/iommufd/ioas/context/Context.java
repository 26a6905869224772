package dev.iommufd.ioas.context;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One open /dev/iommu, with its objects as one JSON document ({@link ContextState}). */
@Entity
@Table(name = "contexts")
public class Context extends PanacheEntityBase {
    @Id
    public String id;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(nullable = false, columnDefinition = "text")
    public String state;
}
