package dev.iommufd.fault.store;

import dev.iommufd.fault.core.Fault;
import java.util.List;

/** A delivered page-request group as GET …/faults and the stream show it. */
public record Group(int cookie, List<Fault> faults) {
}
