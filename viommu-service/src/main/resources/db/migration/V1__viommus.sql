-- vIOMMUs of a context: the namespace of virtual device ids, on a NEST_PARENT paging HWPT.
CREATE TABLE viommus (
    context_id  TEXT NOT NULL,
    id          INTEGER NOT NULL CHECK (id > 0),
    type        TEXT NOT NULL,
    device_id   INTEGER NOT NULL,
    hwpt_id     INTEGER NOT NULL,
    iommu       TEXT NOT NULL,
    PRIMARY KEY (context_id, id)
);
