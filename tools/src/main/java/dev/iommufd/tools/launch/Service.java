package dev.iommufd.tools.launch;

import java.util.List;

/** The four services: module folder, default port, and the env var that overrides it. */
public enum Service {
    HW_SIM("hw-sim", 8084, "HW_SIM_PORT"),
    IOAS("ioas-service", 8081, "IOAS_SERVICE_PORT"),
    VIOMMU("viommu-service", 8082, "VIOMMU_SERVICE_PORT"),
    FAULT("fault-service", 8083, "FAULT_SERVICE_PORT");

    private final String module;
    private final int defaultPort;
    private final String portEnv;

    Service(String module, int defaultPort, String portEnv) {
        this.module = module;
        this.defaultPort = defaultPort;
        this.portEnv = portEnv;
    }

    public String module() {
        return module;
    }

    public int defaultPort() {
        return defaultPort;
    }

    public String portEnv() {
        return portEnv;
    }

    /** Start order: the hardware first, so the control plane's first commands find it. */
    public static List<Service> startOrder() {
        return List.of(HW_SIM, IOAS, VIOMMU, FAULT);
    }
}
