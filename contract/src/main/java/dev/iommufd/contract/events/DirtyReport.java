package dev.iommufd.contract.events;

import java.util.List;

/** hw-sim's answer to {@link ReadDirty}: the 4 KiB pages written since the last clear, for {@code source}. */
public record DirtyReport(String domain, String source, List<Long> dirtyPages) implements EventPayload {
}
