package dev.iommufd.sim.topology;

public enum IommuType { INTEL_VTD, ARM_SMMUV3 }
