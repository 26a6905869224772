package dev.iommufd.sim.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.ReservedRegion;
import dev.iommufd.contract.topology.Topology;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TopologyFileTest {

    static Path resource(String name) throws Exception {
        return Path.of(TopologyFileTest.class.getResource(name).toURI());
    }

    @Test
    void shippedExampleIsTheDefaultTopology() throws Exception {
        try (InputStream in = TopologyFile.class.getResourceAsStream("/topology/example.yaml")) {
            assertEquals(Topology.defaults(), TopologyFile.parse(in, "example.yaml"));
        }
    }

    @Test
    void smmuTopologyIsWhatTheFileSays() throws Exception {
        Topology t = TopologyFile.load(resource("/topology/smmu-only.yaml"));
        assertEquals(new Topology(
                List.of(new IommuSpec("smmu7", IommuType.ARM_SMMUV3, 44,
                        Set.of("NESTING", "PASID", "PAGE_REQUESTS", "RANGE_INVALIDATION"), 16, 128,
                        List.of(new ReservedRegion(U64.of(0x8000000L), U64.of(0x80fffffL), "SW_MSI"),
                                new ReservedRegion(U64.of(0x9000000L), U64.of(0x9001fffL), "RESERVED")))),
                List.of(new DeviceSpec("0002:01:00.1", "smmu7", "vf", 0x101, true, 8, 16, false))), t);
    }

    @Test
    void leftOutFieldsTakeTheDefaultsOfApiMd() {
        Topology t = TopologyFile.parse("""
                iommus:
                  - {id: v, type: INTEL_VTD}
                  - {id: p, type: INTEL_VTD, capabilities: [PASID]}
                  - {id: s, type: ARM_SMMUV3}
                  - {id: none, type: ARM_SMMUV3, reservedRegions: []}
                devices:
                  - {rid: "0000:03:00.0", iommu: v}
                  - {rid: "0001:02:1f.7", iommu: s}
                """, "t");
        Topology d = Topology.defaults();
        IommuSpec dmar1 = d.iommu("dmar1").orElseThrow();
        assertEquals(new IommuSpec("v", IommuType.INTEL_VTD, 48, Set.of(), 0, 1024, dmar1.reservedRegions()), t.iommus().get(0));
        assertEquals(new IommuSpec("p", IommuType.INTEL_VTD, 48, Set.of("PASID"), 20, 1024, dmar1.reservedRegions()), t.iommus().get(1));
        assertEquals(new IommuSpec("s", IommuType.ARM_SMMUV3, 48, Set.of(), 0, 256, d.iommu("smmu0").orElseThrow().reservedRegions()),
                t.iommus().get(2));
        assertEquals(List.of(), t.iommus().get(3).reservedRegions());
        assertEquals(new DeviceSpec("0000:03:00.0", "v", null, null, false, 0, 0, false), t.devices().get(0));
        // the SID defaults to the requester id bus:devfn
        assertEquals(0x2ff, t.devices().get(1).sid());
        // the documented values
        assertEquals(List.of(new ReservedRegion(U64.of(0xfee00000L), U64.of(0xfeefffffL), "MSI")),
                TopologyFile.defaultReservedRegions(IommuType.INTEL_VTD));
        assertEquals(List.of(new ReservedRegion(U64.of(0x8000000L), U64.of(0x80fffffL), "SW_MSI")),
                TopologyFile.defaultReservedRegions(IommuType.ARM_SMMUV3));
    }

    @Test
    void devicesMayBeLeftOut() {
        assertEquals(List.of(), TopologyFile.parse("iommus: [{id: a, type: INTEL_VTD, addressWidth: 57}]", "t").devices());
    }

    private static final String VTD = "iommus:\n  - {id: dmar0, type: INTEL_VTD, capabilities: [PASID, PAGE_REQUESTS]}\n";
    private static final String SMMU = "  - {id: smmu0, type: ARM_SMMUV3}\n";

    static Stream<Arguments> broken() {
        return Stream.of(
                // parse level
                Arguments.of("unknown field", VTD.replace("PAGE_REQUESTS]", "PAGE_REQUESTS], pageSize: 4096"),
                        "iommus[0]: unknown field \"pageSize\" (known: "),
                Arguments.of("unknown field with a hint", VTD.replace("PAGE_REQUESTS]", "PAGE_REQUESTS], pageSizes: [4096]"),
                        "iommus[0]: unknown field \"pageSizes\" (known: id, type, addressWidth, capabilities, pasidBits, iotlbSize, reservedRegions); page sizes are not configurable"),
                Arguments.of("unknown top-level field", VTD + "device: []\n", "t: top level: unknown field \"device\" (known: iommus, devices)"),
                Arguments.of("duplicate key", "iommus: []\niommus: []\n", "Duplicate field 'iommus'"),
                Arguments.of("not an integer", VTD.replace("type: INTEL_VTD", "type: INTEL_VTD, iotlbSize: many"),
                        "iommus[0].iotlbSize: expected an integer"),
                Arguments.of("a float is not an integer", VTD.replace("type: INTEL_VTD", "type: INTEL_VTD, addressWidth: 48.5"),
                        "iommus[0].addressWidth: expected an integer"),
                Arguments.of("empty file", "", "t: empty"),
                Arguments.of("no iommus", "devices: []\n", "no iommus"),
                Arguments.of("not yaml", "iommus: [\n", "t: YAML syntax error (line "),
                Arguments.of("not a mapping", "hello\n", "t: not a topology: expected a mapping with \"iommus:\" and \"devices:\""),
                Arguments.of("not a list", "iommus: dmar0\n", "t: iommus: expected a list"),
                Arguments.of("entry not a mapping", "iommus:\n  - dmar0\n", "t: iommus[0]: expected a mapping"),
                Arguments.of("only comments", "# nothing\n", "t: empty"),
                Arguments.of("unquoted RID", VTD + "devices:\n  - {rid: 0000:00:02.0, iommu: dmar0}\n",
                        "YAML syntax error (line 4): Malformed numeric value '0000:00:02.0' (quote it, e.g. rid: \"0000:00:02.0\")"),
                // IOMMUs
                Arguments.of("id required", "iommus:\n  - {type: INTEL_VTD}\n", "iommus[0]: id is required"),
                Arguments.of("id charset", "iommus:\n  - {id: a/b, type: INTEL_VTD}\n", "iommus[0] (a/b): id \"a/b\" must be"),
                Arguments.of("unique ids", VTD + "  - {id: dmar0, type: INTEL_VTD}\n",
                        "iommus[1] (dmar0): duplicate id \"dmar0\" (also iommus[0])"),
                Arguments.of("type required", "iommus:\n  - {id: x}\n", "iommus[0] (x): type is required"),
                Arguments.of("type known", "iommus:\n  - {id: x, type: AMD_VI}\n", "type \"AMD_VI\" is not INTEL_VTD or ARM_SMMUV3"),
                Arguments.of("VT-d widths", "iommus:\n  - {id: x, type: INTEL_VTD, addressWidth: 52}\n",
                        "iommus[0] (x): addressWidth 52 is not a VT-d width (39, 48 or 57"),
                Arguments.of("SMMUv3 widths", "iommus:\n  - {id: x, type: ARM_SMMUV3, addressWidth: 57}\n",
                        "iommus[0] (x): addressWidth 57 is not an SMMUv3 address size (32, 36, 40, 42, 44, 48 or 52)"),
                Arguments.of("SMMUv3 widths below", "iommus:\n  - {id: x, type: ARM_SMMUV3, addressWidth: 31}\n",
                        "addressWidth 31 is not an SMMUv3"),
                Arguments.of("capability known", "iommus:\n  - {id: x, type: INTEL_VTD, capabilities: [SVA]}\n",
                        "iommus[0] (x): unknown capability \"SVA\" (known: NESTING, "),
                Arguments.of("capability once", "iommus:\n  - {id: x, type: INTEL_VTD, capabilities: [NESTING, NESTING]}\n",
                        "capability NESTING listed twice"),
                Arguments.of("range invalidation is SMMUv3's", "iommus:\n  - {id: x, type: INTEL_VTD, capabilities: [RANGE_INVALIDATION]}\n",
                        "iommus[0] (x): RANGE_INVALIDATION is an SMMUv3 capability"),
                Arguments.of("PASID width max", "iommus:\n  - {id: x, type: INTEL_VTD, capabilities: [PASID], pasidBits: 21}\n",
                        "iommus[0] (x): pasidBits 21 out of range 1..20"),
                Arguments.of("PASID width min", "iommus:\n  - {id: x, type: ARM_SMMUV3, capabilities: [PASID], pasidBits: 0}\n",
                        "pasidBits 0 out of range 1..20"),
                Arguments.of("PASID width needs PASID", "iommus:\n  - {id: x, type: INTEL_VTD, pasidBits: 8}\n",
                        "iommus[0] (x): pasidBits 8 without capability PASID"),
                Arguments.of("IOTLB size", "iommus:\n  - {id: x, type: INTEL_VTD, iotlbSize: 0}\n", "iommus[0] (x): iotlbSize 0 must be > 0"),
                Arguments.of("region fields", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x1000, type: MSI}]}\n",
                        "iommus[0] (x).reservedRegions[0]: start, last and type are required"),
                Arguments.of("region number", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: lots, last: 0x1fff, type: MSI}]}\n",
                        "iommus[0] (x).reservedRegions[0]: start not a u64: \"lots\""),
                Arguments.of("region type", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x1000, last: 0x1fff, type: DIRECT}]}\n",
                        "type \"DIRECT\" is not one of MSI, SW_MSI, RESERVED"),
                Arguments.of("region order", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x2000, last: 0x1fff, type: MSI}]}\n",
                        "reservedRegions[0]: start 0x2000 is above last 0x1fff"),
                Arguments.of("region start aligned", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x1800, last: 0x1fff, type: MSI}]}\n",
                        "reservedRegions[0]: [0x1800, 0x1fff] is not 4 KiB aligned"),
                Arguments.of("region end aligned", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x1000, last: 0x2000, type: MSI}]}\n",
                        "reservedRegions[0]: [0x1000, 0x2000] is not 4 KiB aligned"),
                Arguments.of("regions disjoint", "iommus:\n  - {id: x, type: INTEL_VTD, reservedRegions: [{start: 0x10000, last: 0x1ffff, type: MSI},"
                        + " {start: 0x0, last: 0x10fff, type: RESERVED}]}\n",
                        "iommus[0] (x): reserved regions [0x0, 0x10fff] and [0x10000, 0x1ffff] overlap"),
                // devices
                Arguments.of("rid required", VTD + "devices:\n  - {iommu: dmar0}\n", "devices[0]: rid is required"),
                Arguments.of("rid format", VTD + "devices:\n  - {rid: \"03:00.0\", iommu: dmar0}\n",
                        "devices[0] (03:00.0): rid \"03:00.0\" is not segment:bus:device.function"),
                Arguments.of("rid hex lowercase", VTD + "devices:\n  - {rid: \"0000:0A:00.0\", iommu: dmar0}\n", "is not segment:bus:device.function"),
                Arguments.of("rid device number", VTD + "devices:\n  - {rid: \"0000:00:20.0\", iommu: dmar0}\n", "is not segment:bus:device.function"),
                Arguments.of("rid function number", VTD + "devices:\n  - {rid: \"0000:00:02.8\", iommu: dmar0}\n", "is not segment:bus:device.function"),
                Arguments.of("unique rids", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0}\n  - {rid: \"0000:00:02.0\", iommu: dmar0}\n",
                        "devices[1] (0000:00:02.0): duplicate rid \"0000:00:02.0\" (also devices[0])"),
                Arguments.of("iommu required", VTD + "devices:\n  - {rid: \"0000:00:02.0\"}\n", "devices[0] (0000:00:02.0): iommu is required"),
                Arguments.of("iommu exists", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar9}\n",
                        "devices[0] (0000:00:02.0): iommu \"dmar9\" is not an IOMMU of the file (dmar0)"),
                Arguments.of("no SID on VT-d", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, sid: 2}\n",
                        "devices[0] (0000:00:02.0): sid is for SMMUv3 devices"),
                Arguments.of("SID range", VTD + SMMU + "devices:\n  - {rid: \"0000:00:02.0\", iommu: smmu0, sid: 0x10000}\n",
                        "sid 0x10000 out of range 0..0xffff"),
                Arguments.of("unique SIDs per SMMU", VTD + SMMU + "devices:\n  - {rid: \"0000:00:01.0\", iommu: smmu0}\n"
                        + "  - {rid: \"0000:00:02.0\", iommu: smmu0, sid: \"0x8\"}\n",
                        "devices[1] (0000:00:02.0): sid 0x8 is already devices[0]'s on smmu0"),
                Arguments.of("PASID width range", "iommus:\n  - {id: x, type: INTEL_VTD}\ndevices:\n  - {rid: \"0000:00:02.0\", iommu: x, pasidBits: 21}\n",
                        "devices[0] (0000:00:02.0): pasidBits 21 out of range 0..20"),
                Arguments.of("PASID width not negative", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, pasidBits: -1}\n",
                        "pasidBits -1 out of range 0..20"),
                Arguments.of("PASID width within the IOMMU's", VTD.replace("PAGE_REQUESTS]", "PAGE_REQUESTS], pasidBits: 10")
                        + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, pasidBits: 16}\n",
                        "devices[0] (0000:00:02.0): pasidBits 16 exceeds its IOMMU dmar0's 10"),
                Arguments.of("PRI capacity", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, ats: true, priOutstanding: -1}\n",
                        "devices[0] (0000:00:02.0): priOutstanding -1 must be >= 0"),
                Arguments.of("PRI needs ATS", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, priOutstanding: 32}\n",
                        "devices[0] (0000:00:02.0): priOutstanding 32 needs ats: true"),
                Arguments.of("device unknown field", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, pri: 32}\n",
                        "devices[0]: unknown field \"pri\""),
                Arguments.of("blank name", VTD + "devices:\n  - {rid: \"0000:00:02.0\", iommu: dmar0, name: \" \"}\n", "name is blank"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void brokenFilesFailNamingEntryAndRule(String rule, String yaml, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopologyFile.parse(yaml, "t"));
        assertTrue(e.getMessage().startsWith("t: "), e.getMessage());
        assertTrue(e.getMessage().contains(message), () -> "expected \"" + message + "\" in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), () -> "one line: " + e.getMessage());
    }

    @Test
    void missingFileNamesIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopologyFile.load(Path.of("/nonexistent/topo.yaml")));
        assertTrue(e.getMessage().startsWith("topology file /nonexistent/topo.yaml: cannot read it"), e.getMessage());
    }
}
