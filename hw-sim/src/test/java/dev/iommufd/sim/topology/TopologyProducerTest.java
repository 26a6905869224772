package dev.iommufd.sim.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.config.CostConfig;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CDI producer (called as a plain method), the resource on top of it, and the config key. */
class TopologyProducerTest {

    private static Topology produce(Optional<String> file) {
        return new TopologyProducer().topology(() -> file);
    }

    @Test
    void withoutTheKeyItIsTheDefault() {
        assertEquals(Topology.defaults(), produce(Optional.empty()));
        assertEquals(Topology.defaults(), produce(Optional.of(" ")));
    }

    @Test
    void withTheKeyTheResourceServesTheFile() throws Exception {
        Path file = TopologyFileTest.resource("/topology/smmu-only.yaml");
        Topology t = produce(Optional.of(file.toString()));
        assertEquals(TopologyFile.load(file), t);
        TopologyResource r = new TopologyResource();
        r.topology = t;
        assertEquals(List.of("smmu7"), r.iommus().get("iommus").stream().map(i -> i.id()).toList());
        assertEquals(List.of("0002:01:00.1"), r.devices().get("devices").stream().map(d -> d.rid()).toList());
    }

    @Test
    void aBadFileFailsWithItsOneLineReason(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("topo.yaml");
        Files.writeString(file, "iommus:\n  - {id: x, type: INTEL_VTD, addressWidth: 40}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> produce(Optional.of(file.toString())));
        assertEquals("topology file " + file + ": iommus[0] (x): addressWidth 40 is not a VT-d width (39, 48 or 57: 3-, 4- or 5-level tables)",
                e.getMessage());
    }

    /** The mapping as SmallRye Config binds it (unknown-property validation on, next to CostConfig's iommufd.hw.cost.*). */
    private static SmallRyeConfig config(Map<String, String> env, Map<String, String> props) {
        return new SmallRyeConfigBuilder()
                .withSources(new io.smallrye.config.EnvConfigSource(env, 300) {
                })
                .withSources(new MapBackedConfigSource("test", props, 400) {
                })
                .withMapping(TopologyConfig.class)
                .withMapping(CostConfig.class)
                .withValidateUnknown(true)
                .build();
    }

    @Test
    void configKeyAndItsEnvironmentForm() {
        assertEquals(Optional.empty(), config(Map.of(), Map.of("iommufd.hw.cost.model", "vtd"))
                .getConfigMapping(TopologyConfig.class).topologyFile());
        assertEquals(Optional.of("/etc/topo.yaml"), config(Map.of(), Map.of("iommufd.hw.topology-file", "/etc/topo.yaml"))
                .getConfigMapping(TopologyConfig.class).topologyFile());
        SmallRyeConfig env = config(Map.of("IOMMUFD_HW_TOPOLOGY_FILE", "/tmp/t.yaml", "IOMMUFD_HW_COST_MODEL", "vtd"), Map.of());
        assertEquals(Optional.of("/tmp/t.yaml"), env.getConfigMapping(TopologyConfig.class).topologyFile());
        assertEquals("vtd", env.getConfigMapping(CostConfig.class).model());
        assertTrue(config(Map.of("IOMMUFD_HW_TOPOLOGY_FILE", ""), Map.of())
                .getConfigMapping(TopologyConfig.class).topologyFile().isEmpty());
    }
}
