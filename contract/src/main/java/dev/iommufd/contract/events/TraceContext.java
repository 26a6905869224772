package dev.iommufd.contract.events;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** W3C trace context values for events that start a trace. */
public final class TraceContext {
    private TraceContext() {}

    /** A new sampled {@code traceparent}: version 00, random trace and span ids. */
    public static String newTraceparent() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        r.nextBytes(trace);
        r.nextBytes(span);
        return "00-" + HexFormat.of().formatHex(trace) + "-" + HexFormat.of().formatHex(span) + "-01";
    }

    public static boolean valid(String traceparent) {
        return traceparent != null && traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
                && !traceparent.substring(3, 35).equals("0".repeat(32));
    }
}
