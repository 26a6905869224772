package dev.iommufd.sim.dma;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Outcome of a DMA: OK (with data for a read) or FAULT with the reason; a fault is a normal outcome. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DmaResult(String status, String data, Integer pageRequests, String reason, Boolean eventRecorded) {
    public static DmaResult ok(String data) {
        return new DmaResult("OK", data, 0, null, null);
    }

    public static DmaResult fault(String reason) {
        return new DmaResult("FAULT", null, null, reason, false);
    }
}
