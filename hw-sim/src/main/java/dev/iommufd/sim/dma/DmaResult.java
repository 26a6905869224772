package dev.iommufd.sim.dma;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Outcome of a DMA: OK (with data for a read, and how many page requests it sent) or FAULT with
 * the reason and whether the fault was recorded as a hardware event; a fault is a normal outcome.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DmaResult(String status, String data, Integer pageRequests, String reason, Boolean eventRecorded) {
    public static DmaResult ok(String data) {
        return ok(data, 0);
    }

    public static DmaResult ok(String data, int pageRequests) {
        return new DmaResult("OK", data, pageRequests, null, null);
    }

    public static DmaResult fault(String reason) {
        return fault(reason, false);
    }

    public static DmaResult fault(String reason, boolean eventRecorded) {
        return new DmaResult("FAULT", null, null, reason, eventRecorded);
    }
}
