-- A context is one open /dev/iommu. Objects of all services share one id space per context
-- (as iommufd's xarray): ids are allocated here, the owning service keeps the object's state.
CREATE TABLE contexts (
    id           TEXT PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    rlimit_mode  SMALLINT NOT NULL DEFAULT 0,
    next_id      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE objects (
    context_id   TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
    id           INTEGER NOT NULL CHECK (id > 0),
    type         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    users        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (context_id, id)
);
