package dev.iommufd.ioas.memory;

import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;

/** A region of the VMM's memory (in place of user VA / memfd): contiguous host memory in hw-sim. */
public class MemoryObject extends IommufdObject {
    public long length;
    public long userVa;
    public long hostPa;

    @Override
    public ObjectType type() {
        return ObjectType.MEMORY;
    }

    public boolean containsUserRange(long va, long len) {
        return Long.compareUnsigned(va, userVa) >= 0
                && Long.compareUnsigned(len, length) <= 0
                && Long.compareUnsigned(va - userVa, length - len) <= 0;
    }
}
