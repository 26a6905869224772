package dev.iommufd.sim.memory;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.api.Require;
import dev.iommufd.contract.api.U64;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Base64;

/** {@code GET|PUT /v1/hw/memory/{pa}}: how guests write page tables and tests check DMA data. */
@Path("/v1/hw/memory/{pa}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class MemoryResource {
    /** One read returns at most this much, so a typo cannot ask for gigabytes. */
    static final int MAX_READ = 1 << 20;

    @Inject
    HostMemory memory;

    public record Contents(U64 pa, String data) {}

    public record WriteRequest(String data) {}

    @GET
    public Contents read(@PathParam("pa") String pa, @QueryParam("length") String length) {
        long addr = address(pa);
        U64 len = parse(Require.field(length, "length"), "length");
        if (Long.compareUnsigned(len.bits(), MAX_READ) > 0) {
            throw ErrnoException.of(Errno.EINVAL, "length above %d", MAX_READ);
        }
        checkWrap(addr, (int) len.bits());
        return new Contents(U64.of(addr), Base64.getEncoder().encodeToString(memory.read(addr, (int) len.bits())));
    }

    @PUT
    public Response write(@PathParam("pa") String pa, WriteRequest req) {
        long addr = address(pa);
        byte[] data;
        try {
            data = Base64.getDecoder().decode(Require.field(Require.body(req).data(), "data"));
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "data is not base64");
        }
        checkWrap(addr, data.length);
        memory.write(addr, data);
        return Response.noContent().build();
    }

    private static long address(String pa) {
        return parse(pa, "pa").bits();
    }

    private static U64 parse(String text, String what) {
        try {
            return U64.parse(text);
        } catch (IllegalArgumentException e) {
            throw ErrnoException.of(Errno.EINVAL, "%s: %s", what, e.getMessage());
        }
    }

    private static void checkWrap(long addr, int length) {
        if (length > 0 && Long.compareUnsigned(addr + length - 1, addr) < 0) {
            throw ErrnoException.of(Errno.EOVERFLOW, "range wraps past 2^64");
        }
    }
}
