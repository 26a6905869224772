package dev.iommufd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real manifests: every overlay (and the base) renders and passes every check. */
class ManifestsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"overlays/dev", "overlays/prod", "base"})
    void passes(String kustomization) {
        Renderer.Rendered r = Renderer.render(Repo.k8s().resolve(kustomization));
        List<ObjectNode> docs = r.docs();
        assertTrue(docs.size() > 20, "rendered only " + docs.size() + " documents");
        Checks c = Checks.run(docs);
        System.out.printf("k8s/%s: %d documents rendered by %s; schema-checked all but %s (metadata only)%n",
                kustomization, docs.size(), r.by(), c.notSchemaChecked);
        assertEquals(List.of(), c.problems, "k8s/" + kustomization + " has problems");
    }

    /** The generated Strimzi schemas, for people to read: target/strimzi-crd-schemas/*.v1.json. */
    @Test
    void writesStrimziSchemas() {
        StrimziSchema.writeSchemas(Path.of("target", "strimzi-crd-schemas"));
        assertTrue(StrimziSchema.schema("Kafka").at("/properties/spec/properties/kafka/required").toString().contains("listeners"));
        assertTrue(StrimziSchema.schema("Kafka").at("/properties/spec/properties/zookeeper").isMissingNode(), "v1 has no zookeeper");
    }
}
