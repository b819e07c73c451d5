-- 0015: what the platforms above sent gridgov (gridgov.store.inbound): the signatures of the
-- hand-off callbacks already taken (a replayed request is refused, nothing written twice)
-- and the work orders pushed by the 12345 intake, by the platform's own id, with the issue
-- each became (a repeated push answers that issue, however late it comes).
CREATE TABLE IF NOT EXISTS inbound_messages (
    key text COLLATE "C" PRIMARY KEY,
    issue_id text COLLATE "C" NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_received ON inbound_messages (received_at);
