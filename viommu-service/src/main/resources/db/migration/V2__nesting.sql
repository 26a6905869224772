-- vIOMMUs know their parent's hardware domain name (ViommuAlloc, nested HWPTs made from them).
ALTER TABLE viommus ADD COLUMN parent_domain TEXT NOT NULL DEFAULT '';

-- vdevices: virtId (vSID / vRID) -> device, unique per vIOMMU (ioas-service checks it under the
-- context lock); the physical SID routes hardware events and translates user commands.
CREATE TABLE vdevices (
    context_id  TEXT NOT NULL,
    id          INTEGER NOT NULL CHECK (id > 0),
    viommu_id   INTEGER NOT NULL,
    device_id   INTEGER NOT NULL,
    virt_id     BIGINT NOT NULL,
    rid         TEXT NOT NULL,
    sid         INTEGER,
    iommu       TEXT NOT NULL,
    PRIMARY KEY (context_id, id),
    UNIQUE (context_id, viommu_id, virt_id)
);
CREATE INDEX vdevices_by_sid ON vdevices (iommu, sid);

-- nested HWPTs: guest stage-1 configuration over a NEST_PARENT domain.
CREATE TABLE nested_hwpts (
    context_id     TEXT NOT NULL,
    id             INTEGER NOT NULL CHECK (id > 0),
    device_id      INTEGER NOT NULL,
    viommu_id      INTEGER,
    parent_hwpt_id INTEGER NOT NULL,
    parent_domain  TEXT NOT NULL,
    iommu          TEXT NOT NULL,
    data_type      TEXT NOT NULL,
    data           TEXT NOT NULL,
    fault_id       INTEGER,
    PRIMARY KEY (context_id, id)
);

-- vEVENTQs: the object is persisted, its events live in memory (as the kernel's).
CREATE TABLE veventqs (
    context_id  TEXT NOT NULL,
    id          INTEGER NOT NULL CHECK (id > 0),
    viommu_id   INTEGER NOT NULL,
    type        TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    PRIMARY KEY (context_id, id)
);
