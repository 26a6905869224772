-- Transactional outbox: hardware commands are written in the same transaction as the state change
-- they belong to, then published in id order by the relay and deleted. A crash between commit and
-- publish loses nothing: the relay publishes what is left when it starts.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    kafka_key       TEXT NOT NULL,
    context_id      TEXT,
    correlation_id  TEXT,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
