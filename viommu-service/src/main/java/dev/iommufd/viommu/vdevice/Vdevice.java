package dev.iommufd.viommu.vdevice;

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

/** A vdevice: virtId (vSID / vRID) of a device in a vIOMMU; its physical SID routes events and translates commands. */
@Entity
@Table(name = "vdevices")
@IdClass(Viommu.Key.class)
public class Vdevice extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    @Column(name = "viommu_id", nullable = false)
    public int viommuId;

    @Column(name = "device_id", nullable = false)
    public int deviceId;

    @Column(name = "virt_id", nullable = false)
    public long virtId;

    @Column(nullable = false)
    public String rid;

    public Integer sid;

    @Column(nullable = false)
    public String iommu;

    public static Uni<Vdevice> get(String ctx, int id) {
        return Vdevice.<Vdevice>find("contextId = ?1 and id = ?2", ctx, id).firstResult().map(v -> {
            if (v == null) {
                throw ErrnoException.of(Errno.ENOENT, "no vdevice %d", id);
            }
            return v;
        });
    }
}
