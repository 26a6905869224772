package dev.iommufd.viommu.invalidate;

import dev.iommufd.contract.api.ErrnoException;
import java.util.List;

/**
 * A decoded user invalidation array: the entries that can be applied, in order, and the error of
 * the first one that cannot ({@code stop}, null when all can). As iommufd's {@code entry_num}:
 * the entries before the bad one are applied, the rest are not.
 */
public record Plan<T>(List<T> items, ErrnoException stop) {
    public Plan {
        items = List.copyOf(items);
    }
}
