package dev.iommufd.ioas.context;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** Which context holds a device: binding it in a second context is EBUSY. */
@Entity
@Table(name = "bound_devices")
public class BoundDevice extends PanacheEntityBase {
    @Id
    public String rid;

    @Column(name = "context_id", nullable = false)
    public String contextId;

    @Column(name = "device_id", nullable = false)
    public int deviceId;
}
