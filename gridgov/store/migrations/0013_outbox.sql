-- 0013: the notification outbox and the notices (gridgov.store.outbox, gridgov.notify).
--
-- Every event reaches notify_outbox in the transaction that writes it: a statement trigger
-- over the transition table, so a bulk insert or a COPY of events is covered by one insert.
-- Reminders that are not events (due_soon) are queued by the scheduler under their own key.
-- The planner turns outbox rows into notify_notices (one per recipient and channel) and
-- deletes them; delivery workers claim notices with FOR UPDATE SKIP LOCKED and a lease
-- (not_before moved forward, a fresh lease_token that fences late answers).
CREATE TABLE notify_outbox (
    source text COLLATE "C" PRIMARY KEY,
    issue_id text COLLATE "C" NOT NULL,
    seq integer,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    planned boolean NOT NULL DEFAULT false  -- a reminder's row stays, so it is queued once
);
CREATE INDEX notify_outbox_todo ON notify_outbox (at) WHERE NOT planned;
CREATE INDEX notify_outbox_issue ON notify_outbox (issue_id, at, seq);

CREATE FUNCTION events_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_outbox (source, issue_id, seq, kind, at)
    SELECT issue_id || '/' || seq, issue_id, seq, kind, at FROM new_events
    ON CONFLICT (source) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify_outbox AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_notify_outbox();

CREATE TABLE notify_notices (
    notice_id bigserial PRIMARY KEY,
    idem_key text COLLATE "C" NOT NULL UNIQUE,
    source text COLLATE "C" NOT NULL,
    issue_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    audience text NOT NULL,
    recipient text NOT NULL,
    channel text NOT NULL,
    address text NOT NULL,
    template text NOT NULL,
    params jsonb NOT NULL,
    body text NOT NULL,
    event_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    not_before timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    sent_at timestamptz,
    lease_token text NOT NULL DEFAULT ''
);
CREATE INDEX notify_notices_ready ON notify_notices (not_before) WHERE state = 'pending';
CREATE INDEX notify_notices_issue ON notify_notices (issue_id);
CREATE INDEX notify_notices_state ON notify_notices (state, notice_id);
