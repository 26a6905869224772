-- Hardware commands of our lifecycle changes (VIOMMU_ALLOC/FREE, NESTED_DOMAIN_CREATE, DOMAIN_DESTROY),
-- written in the transaction of the row change and published by the relay (CommandOutbox): a
-- committed change always reaches hw-sim, also across a crash.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    kafka_key   TEXT NOT NULL,
    context_id  TEXT,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
