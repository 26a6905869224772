package dev.iommufd.viommu.nested;

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

/** A nested HWPT: guest stage-1 data (VTD_S1 or ARM_SMMUV3 STE, as JSON) over a NEST_PARENT domain. */
@Entity
@Table(name = "nested_hwpts")
@IdClass(Viommu.Key.class)
public class NestedHwpt extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    @Column(name = "device_id", nullable = false)
    public int deviceId;

    @Column(name = "viommu_id")
    public Integer viommuId;

    @Column(name = "parent_hwpt_id", nullable = false)
    public int parentHwptId;

    @Column(name = "parent_domain", nullable = false)
    public String parentDomain;

    @Column(nullable = false)
    public String iommu;

    @Column(name = "data_type", nullable = false)
    public String dataType;

    @Column(nullable = false)
    public String data;

    @Column(name = "fault_id")
    public Integer faultId;

    public String domain() {
        return contextId + "/" + id;
    }

    /** The nested HWPT {@code id}, or null (the caller decides between ENOENT and EINVAL). */
    public static Uni<NestedHwpt> find(String ctx, int id) {
        return NestedHwpt.<NestedHwpt>find("contextId = ?1 and id = ?2", ctx, id).firstResult();
    }

    public static Uni<NestedHwpt> get(String ctx, int id) {
        return find(ctx, id).map(n -> {
            if (n == null) {
                throw ErrnoException.of(Errno.ENOENT, "no nested HWPT %d", id);
            }
            return n;
        });
    }
}
