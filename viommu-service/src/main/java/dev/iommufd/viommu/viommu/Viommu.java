package dev.iommufd.viommu.viommu;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** A vIOMMU: one per physical IOMMU instance a VM uses, over a NEST_PARENT paging HWPT. */
@Entity
@Table(name = "viommus")
@IdClass(Viommu.Key.class)
public class Viommu extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    @Column(nullable = false)
    public String type;

    @Column(name = "device_id", nullable = false)
    public int deviceId;

    @Column(name = "hwpt_id", nullable = false)
    public int hwptId;

    @Column(nullable = false)
    public String iommu;

    /** The hardware domain of the NEST_PARENT HWPT ({@code <ctx>/<hwpt id>}). */
    @Column(name = "parent_domain", nullable = false)
    public String parentDomain;

    /** The vIOMMU's hardware name ({@code <ctx>/<id>}, as the domains' names). */
    public String hwName() {
        return contextId + "/" + id;
    }

    /** The vIOMMU {@code id} of context {@code ctx}, or ENOENT. */
    public static Uni<Viommu> get(String ctx, int id) {
        return Viommu.<Viommu>find("contextId = ?1 and id = ?2", ctx, id).firstResult().map(v -> {
            if (v == null) {
                throw ErrnoException.of(Errno.ENOENT, "no vIOMMU %d", id);
            }
            return v;
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
