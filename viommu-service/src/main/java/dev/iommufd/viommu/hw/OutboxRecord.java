package dev.iommufd.viommu.hw;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A hardware command waiting to be published (transactional outbox, see {@link CommandOutbox}). */
@Entity
@Table(name = "outbox")
public class OutboxRecord extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "kafka_key", nullable = false)
    public String key;

    @Column(name = "context_id")
    public String contextId;

    @Column(nullable = false, columnDefinition = "text")
    public String payload;
}
