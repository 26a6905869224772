package dev.iommufd.sim.walk;

/**
 * One DMA access to translate: the input address (IOVA), read or write, and the privilege of the
 * request (PCIe PASID "privileged mode requested"; requests without PASID are user requests).
 */
public record Access(long address, boolean write, boolean privileged) {
    public static Access read(long address) {
        return new Access(address, false, false);
    }

    public static Access write(long address) {
        return new Access(address, true, false);
    }

    public Access asPrivileged() {
        return new Access(address, write, true);
    }
}
