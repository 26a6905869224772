package dev.iommufd.contract.topology;

public enum IommuType { INTEL_VTD, ARM_SMMUV3 }
