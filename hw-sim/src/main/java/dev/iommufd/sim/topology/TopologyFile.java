package dev.iommufd.sim.topology;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.ReservedRegion;
import dev.iommufd.contract.topology.Topology;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a topology YAML file into the contract records (plain Java, no Quarkus), as served at
 * {@code /v1/hw/iommus} and {@code /v1/hw/devices}. {@code topology/example.yaml} in this module's
 * resources is API.md's default platform written out in full, with comments.
 *
 * <p>Every problem is an {@link IllegalArgumentException} with a one-line message naming the source,
 * the entry ({@code iommus[1] (dmar1)}, {@code devices[0] (0000:03:00.0)}) and the rule. Fields not
 * listed below are refused (also a misspelt one), as are duplicate keys.
 *
 * <p>IOMMU fields ({@link IommuSpec}); defaults are those of {@link Topology#defaults()}:
 * <ul>
 * <li>{@code id} (required): unique; letters, digits, {@code _ - .} (it appears in URLs).</li>
 * <li>{@code type} (required): {@code INTEL_VTD} or {@code ARM_SMMUV3}.</li>
 * <li>{@code addressWidth} (default 48): VT-d 39, 48 or 57 (3/4/5-level second-stage tables);
 *     SMMUv3 32, 36, 40, 42, 44, 48 or 52 (the IDR5.OAS sizes).</li>
 * <li>{@code capabilities} (default none): a set of NESTING, DIRTY_TRACKING, PASID,
 *     PAGE_REQUESTS, ENFORCE_COHERENCY, RANGE_INVALIDATION;
 *     {@code RANGE_INVALIDATION} is SMMUv3 only.</li>
 * <li>{@code pasidBits} (default 20 with {@code PASID}, else 0): 1..20 with {@code PASID}, 0 without.</li>
 * <li>{@code iotlbSize} (default VT-d 1024, SMMUv3 256): &gt; 0.</li>
 * <li>{@code reservedRegions} (absent: VT-d {@code MSI [0xfee00000, 0xfeefffff]}, SMMUv3
 *     {@code SW_MSI [0x8000000, 0x80fffff]}; {@code []} for none): {@code start}, {@code last}
 *     (inclusive; integers or "0x…" strings), {@code type} ({@code MSI}, {@code SW_MSI} or
 *     {@code RESERVED}); 4 KiB aligned ({@code start} and {@code last + 1}), {@code start <= last},
 *     no two of one IOMMU overlapping.</li>
 * </ul>
 * Device fields ({@link DeviceSpec}):
 * <ul>
 * <li>{@code rid} (required): {@code ssss:bb:dd.f}, lowercase hex, device 00..1f, function 0..7; unique.</li>
 * <li>{@code iommu} (required): the id of an IOMMU of the file.</li>
 * <li>{@code name} (default none).</li>
 * <li>{@code sid}: SMMUv3 stream id 0..0xffff (SIDSIZE 16), unique per SMMU; default the RID's
 *     16-bit requester id {@code bus << 8 | device << 3 | function}. Not allowed on VT-d.</li>
 * <li>{@code ats} (default false).</li>
 * <li>{@code pasidBits} (default 0): 0..20, at most its IOMMU's when that IOMMU has {@code PASID}.</li>
 * <li>{@code priOutstanding} (default 0 = no PRI): &gt;= 0; PRI needs {@code ats: true}.</li>
 * <li>{@code dirty} (default false).</li>
 * </ul>
 * Page sizes and the device ATC size are not fields of the records: the simulated page tables use
 * 4 KiB, 2 MiB and 1 GiB leaves and every ATC holds 64 entries.
 */
public final class TopologyFile {
    public static final int MAX_PASID_BITS = 20;
    public static final List<Integer> VTD_ADDRESS_WIDTHS = List.of(39, 48, 57);
    public static final List<Integer> SMMUV3_ADDRESS_WIDTHS = List.of(32, 36, 40, 42, 44, 48, 52);
    static final String CAPABILITY_NAMES = "NESTING, DIRTY_TRACKING, PASID, PAGE_REQUESTS, ENFORCE_COHERENCY, RANGE_INVALIDATION";
    public static final List<String> CAPABILITIES = List.of(CAPABILITY_NAMES.split(", "));
    public static final List<String> REGION_TYPES = List.of("MSI", "SW_MSI", "RESERVED");
    public static final int DEFAULT_ADDRESS_WIDTH = 48;
    public static final int DEFAULT_PASID_BITS = 20;
    private static final long PAGE = 4096;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Pattern RID = Pattern.compile("([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\\.([0-7])");
    private static final Map<String, String> HINTS = Map.of(
            "pageSizes", "page sizes are not configurable: the simulated page tables use 4 KiB, 2 MiB and 1 GiB leaves",
            "atcSize", "the device ATC size is not configurable (64 entries)");

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private TopologyFile() {
    }

    // The file's shape; null = absent (then the default applies).
    record FileDto(List<IommuDto> iommus, List<DeviceDto> devices) {}

    record IommuDto(String id, String type, Integer addressWidth, List<String> capabilities, Integer pasidBits,
                    Integer iotlbSize, List<RegionDto> reservedRegions) {}

    record RegionDto(String start, String last, String type) {}

    record DeviceDto(String rid, String iommu, String name, String sid, Boolean ats, Integer pasidBits,
                     Integer priOutstanding, Boolean dirty) {}

    /** Loads and validates {@code file}. */
    public static Topology load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("topology file " + file + ": cannot read it (" + e + ")");
        }
        return parse(text, "topology file " + file);
    }

    /** Loads and validates a topology from a stream (e.g. a class-path resource); {@code source} names it in errors. */
    public static Topology parse(InputStream in, String source) {
        try {
            return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), source);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": cannot read it (" + e + ")");
        }
    }

    /** Parses and validates YAML text; {@code source} names it in errors (a file name). */
    public static Topology parse(String yaml, String source) {
        FileDto dto;
        try {
            dto = YAML.readValue(yaml, FileDto.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": " + describe(e));
        }
        return new Validator(source).topology(dto);
    }

    /** VT-d 1024, SMMUv3 256 (QEMU's IOTLB sizes, as in {@link Topology#defaults()}). */
    public static int defaultIotlbSize(IommuType type) {
        return defaultOf(type).iotlbSize();
    }

    /** VT-d MSI [0xfee00000, 0xfeefffff], SMMUv3 SW_MSI [0x8000000, 0x80fffff] (as in {@link Topology#defaults()}). */
    public static List<ReservedRegion> defaultReservedRegions(IommuType type) {
        return defaultOf(type).reservedRegions();
    }

    /** The defaults of an architecture are those of its first IOMMU in {@link Topology#defaults()}. */
    private static IommuSpec defaultOf(IommuType type) {
        return Topology.defaults().iommus().stream().filter(i -> i.type() == type).findFirst().orElseThrow();
    }

    // ---- parse errors, one line each ----

    private static String describe(JsonProcessingException e) {
        // Mapping errors name the entry by its path and no line: records are read whole before
        // Jackson reports, so its location points past the entry.
        if (e instanceof UnrecognizedPropertyException u) {
            String where = path(u.getPath().subList(0, u.getPath().size() - 1));
            Class<?> owner = u.getReferringClass();
            String known = owner != null && owner.isRecord() ? java.util.Arrays.stream(owner.getRecordComponents())
                    .map(java.lang.reflect.RecordComponent::getName).collect(Collectors.joining(", ", " (known: ", ")")) : "";
            String hint = HINTS.containsKey(u.getPropertyName()) ? "; " + HINTS.get(u.getPropertyName()) : "";
            return (where.isEmpty() ? "top level" : where) + ": unknown field \"" + u.getPropertyName() + "\"" + known + hint;
        }
        if (e instanceof StreamReadException || e.getCause() instanceof StreamReadException) {
            StreamReadException p = e instanceof StreamReadException r ? r : (StreamReadException) e.getCause();
            String msg = firstLine(p.getOriginalMessage());
            String hint = msg.startsWith("Malformed numeric value") ? " (quote it, e.g. rid: \"0000:00:02.0\")" : "";
            return "YAML syntax error" + lineOf(p.getLocation()) + ": " + msg + hint;
        }
        String where = e instanceof JsonMappingException m && !m.getPath().isEmpty() ? path(m.getPath()) : "";
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            if (where.isEmpty()) {
                return m.getMessage().startsWith("No content") ? "empty; expected \"iommus:\" and \"devices:\""
                        : "not a topology: expected a mapping with \"iommus:\" and \"devices:\"";
            }
            return where + ": " + expected(m.getTargetType());
        }
        return (where.isEmpty() ? "not a topology" : where) + ": " + firstLine(e.getOriginalMessage());
    }

    private static String expected(Class<?> type) {
        if (type.isRecord()) {
            return "expected a mapping";
        }
        if (List.class.isAssignableFrom(type)) {
            return "expected a list";
        }
        if (type == Integer.class || type == int.class) {
            return "expected an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "expected true or false";
        }
        return "expected a single value";
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String lineOf(JsonLocation loc) {
        return loc == null || loc.getLineNr() <= 0 ? "" : " (line " + loc.getLineNr() + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return (nl < 0 ? t : t.substring(0, nl)).replace("`", "").strip();
    }

    // ---- validation ----

    private static final class Validator {
        private final String source;

        Validator(String source) {
            this.source = source;
        }

        private IllegalArgumentException fail(String where, String what) {
            return new IllegalArgumentException(source + ": " + where + ": " + what);
        }

        Topology topology(FileDto f) {
            if (f == null) {
                throw new IllegalArgumentException(source + ": empty; expected \"iommus:\" and \"devices:\"");
            }
            if (f.iommus() == null || f.iommus().isEmpty()) {
                throw new IllegalArgumentException(source + ": no iommus (a topology needs at least one IOMMU)");
            }
            Map<String, IommuSpec> iommus = new LinkedHashMap<>();
            Map<String, Integer> iommuIndex = new HashMap<>();
            for (int i = 0; i < f.iommus().size(); i++) {
                IommuDto d = f.iommus().get(i);
                String where = "iommus[" + i + "]" + (d != null && d.id() != null ? " (" + d.id() + ")" : "");
                if (d == null) {
                    throw fail(where, "empty entry");
                }
                IommuSpec s = iommu(where, d);
                Integer before = iommuIndex.putIfAbsent(s.id(), i);
                if (before != null) {
                    throw fail(where, "duplicate id \"" + s.id() + "\" (also iommus[" + before + "])");
                }
                iommus.put(s.id(), s);
            }
            List<DeviceDto> devs = f.devices() == null ? List.of() : f.devices();
            List<DeviceSpec> devices = new ArrayList<>();
            Map<String, Integer> ridIndex = new HashMap<>();
            Map<String, Integer> sidIndex = new HashMap<>();
            for (int i = 0; i < devs.size(); i++) {
                DeviceDto d = devs.get(i);
                String where = "devices[" + i + "]" + (d != null && d.rid() != null ? " (" + d.rid() + ")" : "");
                if (d == null) {
                    throw fail(where, "empty entry");
                }
                DeviceSpec s = device(where, d, iommus);
                Integer before = ridIndex.putIfAbsent(s.rid(), i);
                if (before != null) {
                    throw fail(where, "duplicate rid \"" + s.rid() + "\" (also devices[" + before + "])");
                }
                if (s.sid() != null) {
                    before = sidIndex.putIfAbsent(s.iommu() + "/" + s.sid(), i);
                    if (before != null) {
                        throw fail(where, String.format("sid 0x%x is already devices[%d]'s on %s", s.sid(), before, s.iommu()));
                    }
                }
                devices.add(s);
            }
            return new Topology(List.copyOf(iommus.values()), List.copyOf(devices));
        }

        private IommuSpec iommu(String where, IommuDto d) {
            if (d.id() == null || d.id().isBlank()) {
                throw fail(where, "id is required");
            }
            if (!ID.matcher(d.id()).matches()) {
                throw fail(where, "id \"" + d.id() + "\" must be letters, digits, '_', '-' or '.' (it is used in URLs)");
            }
            if (d.type() == null) {
                throw fail(where, "type is required (INTEL_VTD or ARM_SMMUV3)");
            }
            IommuType type;
            try {
                type = IommuType.valueOf(d.type());
            } catch (IllegalArgumentException e) {
                throw fail(where, "type \"" + d.type() + "\" is not INTEL_VTD or ARM_SMMUV3");
            }
            int width = Objects.requireNonNullElse(d.addressWidth(), DEFAULT_ADDRESS_WIDTH);
            if (type == IommuType.INTEL_VTD && !VTD_ADDRESS_WIDTHS.contains(width)) {
                throw fail(where, "addressWidth " + width + " is not a VT-d width (39, 48 or 57: 3-, 4- or 5-level tables)");
            }
            if (type == IommuType.ARM_SMMUV3 && !SMMUV3_ADDRESS_WIDTHS.contains(width)) {
                throw fail(where, "addressWidth " + width + " is not an SMMUv3 address size (32, 36, 40, 42, 44, 48 or 52)");
            }
            Set<String> caps = new LinkedHashSet<>();
            for (String c : d.capabilities() == null ? List.<String>of() : d.capabilities()) {
                if (!CAPABILITIES.contains(c)) {
                    throw fail(where, "unknown capability \"" + c + "\" (known: " + CAPABILITY_NAMES + ")");
                }
                if (!caps.add(c)) {
                    throw fail(where, "capability " + c + " listed twice");
                }
            }
            if (caps.contains("RANGE_INVALIDATION") && type != IommuType.ARM_SMMUV3) {
                throw fail(where, "RANGE_INVALIDATION is an SMMUv3 capability (VT-d has page-selective invalidation)");
            }
            boolean pasid = caps.contains("PASID");
            int pasidBits = Objects.requireNonNullElse(d.pasidBits(), pasid ? DEFAULT_PASID_BITS : 0);
            if (pasid && (pasidBits < 1 || pasidBits > MAX_PASID_BITS)) {
                throw fail(where, "pasidBits " + pasidBits + " out of range 1.." + MAX_PASID_BITS + " (capability PASID)");
            }
            if (!pasid && pasidBits != 0) {
                throw fail(where, "pasidBits " + pasidBits + " without capability PASID (add PASID or make pasidBits 0)");
            }
            int iotlb = Objects.requireNonNullElse(d.iotlbSize(), defaultIotlbSize(type));
            if (iotlb <= 0) {
                throw fail(where, "iotlbSize " + iotlb + " must be > 0");
            }
            List<ReservedRegion> regions = d.reservedRegions() == null ? defaultReservedRegions(type)
                    : regions(where, d.reservedRegions());
            return new IommuSpec(d.id(), type, width, Set.copyOf(caps), pasidBits, iotlb, regions);
        }

        private List<ReservedRegion> regions(String iommuWhere, List<RegionDto> in) {
            List<ReservedRegion> out = new ArrayList<>();
            for (int r = 0; r < in.size(); r++) {
                String where = iommuWhere + ".reservedRegions[" + r + "]";
                RegionDto d = in.get(r);
                if (d == null || d.start() == null || d.last() == null || d.type() == null) {
                    throw fail(where, "start, last and type are required");
                }
                U64 start = u64(where, "start", d.start());
                U64 last = u64(where, "last", d.last());
                if (!REGION_TYPES.contains(d.type())) {
                    throw fail(where, "type \"" + d.type() + "\" is not one of " + String.join(", ", REGION_TYPES));
                }
                if (start.compareTo(last) > 0) {
                    throw fail(where, "start " + start + " is above last " + last);
                }
                if (start.bits() % PAGE != 0 || (last.bits() & (PAGE - 1)) != PAGE - 1) {
                    throw fail(where, "[" + start + ", " + last + "] is not 4 KiB aligned (start and last + 1 must be multiples of 0x1000)");
                }
                out.add(new ReservedRegion(start, last, d.type()));
            }
            List<ReservedRegion> sorted = new ArrayList<>(out);
            sorted.sort(Comparator.comparing(ReservedRegion::start));
            for (int r = 1; r < sorted.size(); r++) {
                ReservedRegion a = sorted.get(r - 1);
                ReservedRegion b = sorted.get(r);
                if (b.start().compareTo(a.last()) <= 0) {
                    throw fail(iommuWhere, "reserved regions [" + a.start() + ", " + a.last() + "] and ["
                            + b.start() + ", " + b.last() + "] overlap");
                }
            }
            return List.copyOf(out);
        }

        private U64 u64(String where, String field, String text) {
            try {
                return U64.parse(text);
            } catch (IllegalArgumentException e) {
                throw fail(where, field + " " + e.getMessage());
            }
        }

        private DeviceSpec device(String where, DeviceDto d, Map<String, IommuSpec> iommus) {
            if (d.rid() == null) {
                throw fail(where, "rid is required");
            }
            Matcher rid = RID.matcher(d.rid());
            if (!rid.matches()) {
                throw fail(where, "rid \"" + d.rid() + "\" is not segment:bus:device.function (ssss:bb:dd.f, lowercase hex, device 00..1f, function 0..7)");
            }
            if (d.iommu() == null) {
                throw fail(where, "iommu is required");
            }
            IommuSpec iommu = iommus.get(d.iommu());
            if (iommu == null) {
                throw fail(where, "iommu \"" + d.iommu() + "\" is not an IOMMU of the file (" + String.join(", ", iommus.keySet()) + ")");
            }
            if (d.name() != null && d.name().isBlank()) {
                throw fail(where, "name is blank (leave it out for none)");
            }
            Integer sid = null;
            if (iommu.type() == IommuType.INTEL_VTD) {
                if (d.sid() != null) {
                    throw fail(where, "sid is for SMMUv3 devices (on VT-d the RID is the source id)");
                }
            } else if (d.sid() == null) {
                int bus = Integer.parseInt(rid.group(2), 16);
                int dev = Integer.parseInt(rid.group(3), 16);
                int fn = Integer.parseInt(rid.group(4), 16);
                sid = bus << 8 | dev << 3 | fn;
            } else {
                U64 v = u64(where, "sid", d.sid());
                if (Long.compareUnsigned(v.bits(), 0xffff) > 0) {
                    throw fail(where, "sid " + v + " out of range 0..0xffff (SIDSIZE 16)");
                }
                sid = (int) v.bits();
            }
            boolean ats = Boolean.TRUE.equals(d.ats());
            int pasidBits = Objects.requireNonNullElse(d.pasidBits(), 0);
            if (pasidBits < 0 || pasidBits > MAX_PASID_BITS) {
                throw fail(where, "pasidBits " + pasidBits + " out of range 0.." + MAX_PASID_BITS);
            }
            if (iommu.has("PASID") && pasidBits > iommu.pasidBits()) {
                throw fail(where, "pasidBits " + pasidBits + " exceeds its IOMMU " + iommu.id() + "'s " + iommu.pasidBits());
            }
            int pri = Objects.requireNonNullElse(d.priOutstanding(), 0);
            if (pri < 0) {
                throw fail(where, "priOutstanding " + pri + " must be >= 0 (0 = no PRI)");
            }
            if (pri > 0 && !ats) {
                throw fail(where, "priOutstanding " + pri + " needs ats: true (PRI is part of ATS)");
            }
            return new DeviceSpec(d.rid(), iommu.id(), d.name(), sid, ats, pasidBits, pri, Boolean.TRUE.equals(d.dirty()));
        }
    }
}
