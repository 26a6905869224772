package dev.iommufd.ioas.memory;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** Where the next host physical range for a MEMORY object starts (one row). */
@Entity
@Table(name = "host_memory")
public class HostMemoryCursor extends PanacheEntityBase {
    @Id
    public int id;

    @Column(name = "next_pa", nullable = false)
    public long nextPa;
}
