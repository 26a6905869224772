package dev.iommufd.fault.core;

/**
 * The codes userspace may answer a group with (iommufd removed FAILURE: it disables PRI at the
 * function, so a VMM emulates it another way).
 */
public enum ResponseCode {
    SUCCESS, INVALID;

    /** Null for anything else (the caller refuses it with EINVAL at that position). */
    public static ResponseCode parse(String code) {
        for (ResponseCode c : values()) {
            if (c.name().equals(code)) {
                return c;
            }
        }
        return null;
    }
}
