-- LAZY unmap: its IOTLB/ATC invalidations wait in the outbox for the lazy flush (a full batch or
-- the maximum delay after created_at). Persisted like every other command, so an acknowledged
-- unmap keeps its invalidation across a crash.
ALTER TABLE outbox ADD COLUMN deferred BOOLEAN NOT NULL DEFAULT FALSE;
