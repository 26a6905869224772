package dev.iommufd.ioas.context;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** An entry of a context's object table: id, type, owning service and users refcount. */
@Entity
@Table(name = "objects")
@IdClass(IommufdObject.Key.class)
public class IommufdObject extends PanacheEntityBase {
    @Id
    @Column(name = "context_id")
    public String contextId;

    @Id
    public int id;

    @Column(nullable = false)
    public String type;

    @Column(nullable = false)
    public String owner;

    @Column(nullable = false)
    public int users;

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
