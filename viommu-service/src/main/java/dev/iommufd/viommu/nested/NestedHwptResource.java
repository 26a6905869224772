package dev.iommufd.viommu.nested;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Flags;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.events.DomainDestroy;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.contract.events.NestedDomainCreate;
import dev.iommufd.viommu.invalidate.InvalidateBody;
import dev.iommufd.viommu.invalidate.Invalidations;
import dev.iommufd.viommu.ioas.IoasNesting;
import dev.iommufd.viommu.ioas.Lifecycle;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * Nested HWPTs (IOMMU_HWPT_ALLOC on a vIOMMU or a NEST_PARENT paging HWPT) and VT-d user
 * invalidation. Order of checks as the kernel: flags, then ioas-service's (device ENOENT; ptId
 * not a vIOMMU / NEST_PARENT EINVAL; vIOMMU or parent of another IOMMU EINVAL; fault queue ENOENT),
 * then the driver's data checks (missing or foreign data EOPNOTSUPP; SMMUv3 STE EIO; VT-d
 * EOPNOTSUPP / EINVAL), after which the allocated id is released again.
 */
@Path("/v1/contexts/{ctx}/nested-hwpts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class NestedHwptResource {
    public enum Flag { FAULT_ID_VALID, PASID }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code data}: VTD_S1 {flags, pgtblAddr, addrWidth} or ARM_SMMUV3 {ste:[w0, w1]}. */
    public record NestedData(String type, List<String> flags, U64 pgtblAddr, Long addrWidth, List<U64> ste) {}

    public record AllocRequest(Integer deviceId, Integer ptId, List<String> flags, Integer faultId, NestedData data) {}

    public record Created(int id) {}

    public record NestedView(int id, int deviceId, Integer viommuId, int parentHwptId, String dataType, JsonNode data) {}

    @Inject
    Lifecycle life;

    @Inject
    Invalidations invalidations;

    @POST
    public Uni<Response> alloc(@PathParam("ctx") String ctx, AllocRequest req) {
        Require.body(req);
        var flags = Flags.parse(req.flags(), Flag.class);
        int deviceId = Require.field(req.deviceId(), "deviceId");
        int ptId = Require.field(req.ptId(), "ptId");
        return life.remote(() -> life.ioas().nested(ctx, new IoasNesting.NestedRequest(deviceId, ptId, Flags.names(flags), req.faultId())))
                .flatMap(a -> life.orRelease(ctx, a.id(), () -> {
                    NestedDomainCreate create = domainCreate(ctx, a, flags, req.data());
                    NestedHwpt n = new NestedHwpt();
                    n.contextId = ctx;
                    n.id = a.id();
                    n.deviceId = deviceId;
                    n.viommuId = a.viommuId();
                    n.parentHwptId = a.parentHwptId();
                    n.parentDomain = a.parentDomain();
                    n.iommu = a.iommu();
                    n.dataType = req.data().type();
                    n.data = JSON.valueToTree(create.vtd() != null ? create.vtd() : create.smmu()).toString();
                    n.faultId = a.faultId();
                    // hw-sim did not complete: undo (row out, DOMAIN_DESTROY behind the create), then the id goes back
                    return life.commitAndApply(ctx, n::persist, new Lifecycle.HwWork(a.iommu(), List.of(create)),
                                    () -> NestedHwpt.delete("contextId = ?1 and id = ?2", ctx, a.id()),
                                    new Lifecycle.HwWork(a.iommu(), List.of(new DomainDestroy(n.domain()))))
                            .map(ignored -> Response.status(201).entity(new Created(a.id())).build());
                }));
    }

    /** The driver's part: the data must be of the device's IOMMU type and valid. */
    static NestedDomainCreate domainCreate(String ctx, IoasNesting.NestedAllocated a, java.util.Set<Flag> flags, NestedData data) {
        if (data == null || data.type() == null) {
            throw ErrnoException.of(Errno.EOPNOTSUPP, "a nested HWPT needs data");
        }
        String viommu = a.viommuId() == null ? null : ctx + "/" + a.viommuId();
        String domain = ctx + "/" + a.id();
        switch (data.type()) {
            case "VTD_S1" -> {
                if (!a.iommuType().equals("INTEL_VTD")) {
                    throw ErrnoException.of(Errno.EOPNOTSUPP, "VTD_S1 data on a %s IOMMU", a.iommuType());
                }
                if (data.ste() != null) {
                    throw ErrnoException.of(Errno.EINVAL, "'ste' is not part of VTD_S1 data");
                }
                long pgtbl = Require.field(data.pgtblAddr(), "data.pgtblAddr").bits();
                long width = Require.field(data.addrWidth(), "data.addrWidth");
                return new NestedDomainCreate(domain, a.iommu(), a.parentDomain(), viommu, a.faultId(),
                        VtdS1Validator.validate(data.flags(), pgtbl, width, a.addressWidth()), null);
            }
            case "ARM_SMMUV3" -> {
                if (!a.iommuType().equals("ARM_SMMUV3")) {
                    throw ErrnoException.of(Errno.EOPNOTSUPP, "ARM_SMMUV3 data on a %s IOMMU", a.iommuType());
                }
                if (viommu == null) {
                    // the SMMUv3 driver allocates nested domains only through a vIOMMU (its VMID)
                    throw ErrnoException.of(Errno.EOPNOTSUPP, "an SMMUv3 nested HWPT is allocated on a vIOMMU");
                }
                if (flags.contains(Flag.PASID)) {
                    throw ErrnoException.of(Errno.EOPNOTSUPP, "SMMUv3 nested HWPTs take FAULT_ID_VALID only");
                }
                if (data.flags() != null || data.pgtblAddr() != null || data.addrWidth() != null) {
                    throw ErrnoException.of(Errno.EINVAL, "flags, pgtblAddr and addrWidth are not part of ARM_SMMUV3 data");
                }
                List<U64> ste = Require.field(data.ste(), "data.ste");
                if (ste.size() != 2 || ste.contains(null)) {
                    throw ErrnoException.of(Errno.EINVAL, "data.ste must hold STE words 0 and 1");
                }
                return new NestedDomainCreate(domain, a.iommu(), a.parentDomain(), viommu, a.faultId(), null,
                        SteValidator.validate(ste.get(0).bits(), ste.get(1).bits()));
            }
            default -> throw ErrnoException.of(Errno.EOPNOTSUPP, "nested data type %s not supported", data.type());
        }
    }

    @GET
    @Path("{id}")
    @WithSession
    public Uni<NestedView> get(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return NestedHwpt.get(ctx, id).map(n -> new NestedView(n.id, n.deviceId, n.viommuId, n.parentHwptId, n.dataType, dataView(n)));
    }

    /** The data in the request's shape, u64 values as "0x…" (API.md), whatever the stored record looks like. */
    static JsonNode dataView(NestedHwpt n) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode out = JSON.createObjectNode();
            out.put("type", n.dataType);
            if (n.dataType.equals("VTD_S1")) {
                NestedDomainCreate.VtdS1 v = JSON.readValue(n.data, NestedDomainCreate.VtdS1.class);
                var flags = out.putArray("flags");
                if (v.sre()) {
                    flags.add("SRE");
                }
                if (v.eafe()) {
                    flags.add("EAFE");
                }
                if (v.wpe()) {
                    flags.add("WPE");
                }
                out.put("pgtblAddr", U64.of(v.pgtblAddr()).hex());
                out.put("addrWidth", v.addrWidth());
            } else {
                NestedDomainCreate.SmmuSte ste = JSON.readValue(n.data, NestedDomainCreate.SmmuSte.class);
                out.putArray("ste").add(U64.of(ste.word0()).hex()).add(U64.of(ste.word1()).hex());
            }
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored data of nested HWPT " + n.id, e);
        }
    }

    /** IOMMU_DESTROY: EBUSY while devices are attached (ioas-service holds them); hw-sim drops the domain. */
    @DELETE
    @Path("{id}")
    public Uni<Response> destroy(@PathParam("ctx") String ctx, @PathParam("id") int id) {
        return life.destroy(ctx, id, () -> NestedHwpt.get(ctx, id),
                () -> NestedHwpt.delete("contextId = ?1 and id = ?2", ctx, id),
                n -> new Lifecycle.HwWork(n.iommu, List.of(new DomainDestroy(n.domain()))));
    }

    /** IOMMU_HWPT_INVALIDATE with VTD_S1 entries: {@code entryNum} = entries applied (also in an error's body). */
    @POST
    @Path("{id}/invalidate")
    @Consumes(MediaType.WILDCARD) // any body reaches InvalidateBody, so even a non-JSON one fails with entryNum 0
    public Uni<Map<String, Integer>> invalidate(@PathParam("ctx") String ctx, @PathParam("id") int id,
            @org.eclipse.microprofile.openapi.annotations.parameters.RequestBody(content = @org.eclipse.microprofile.openapi.annotations.media.Content(
                    mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = InvalidateBody.Doc.class))) String body) {
        return invalidations.vtd(ctx, id, InvalidateBody.parse(body));
    }
}
