package dev.iommufd.contract.api;

import java.util.LinkedHashMap;
import java.util.Map;

/** The error body of API.md: {@code {"errno":"EBUSY","message":"…", extra…}}. */
public final class ErrorBody {
    private ErrorBody() {}

    public static Map<String, Object> of(Errno errno, String message, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errno", errno.name());
        body.put("message", message == null ? errno.name() : message);
        body.putAll(extra);
        return body;
    }
}
