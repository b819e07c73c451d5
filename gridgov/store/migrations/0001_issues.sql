-- 0001: issues, their append-only event logs, idempotency keys, API tokens and the store's
-- secret. Ids and codes compare bytewise (COLLATE "C"), as in the SQLite store, so both
-- stores list in the same order whatever the database's locale.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE meta (
    key text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- The snapshot is the JSONB document; the columns beside it are copies kept for filtering.
CREATE TABLE issues (
    issue_id text COLLATE "C" PRIMARY KEY,
    version integer NOT NULL CHECK (version >= 1),
    status text COLLATE "C" NOT NULL,
    category text NOT NULL,
    level text COLLATE "C" NOT NULL,
    unit text COLLATE "C" NOT NULL,
    station_id text COLLATE "C" NOT NULL,
    township_code text COLLATE "C" NOT NULL,
    grid_code text COLLATE "C" NOT NULL,
    reporter_id text COLLATE "C" NOT NULL,
    deputies text[] COLLATE "C" NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    acknowledge_due timestamptz,
    resolve_due timestamptz,
    geom geometry(Point, 4490) NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX issues_created ON issues (created_at DESC, issue_id);
CREATE INDEX issues_status ON issues (status);
CREATE INDEX issues_station ON issues (station_id);
CREATE INDEX issues_township ON issues (township_code);
CREATE INDEX issues_grid ON issues (grid_code);
CREATE INDEX issues_reporter ON issues (reporter_id);
CREATE INDEX issues_deputies ON issues USING gin (deputies);
-- open_load(deputy_ids) on every dispatch: only open issues, whatever the history holds.
-- The list is gridgov.lifecycle.OPEN_STATUSES; the store writes the same literal list.
CREATE INDEX issues_open_deputies ON issues USING gin (deputies)
    WHERE status IN ('acknowledged', 'assigned', 'dispatched', 'in_progress', 'located', 'raised');
CREATE INDEX issues_geom ON issues USING gist (geom);

CREATE TABLE events (
    issue_id text COLLATE "C" NOT NULL REFERENCES issues (issue_id),
    seq integer NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    actor_role text NOT NULL,
    actor_id text NOT NULL,
    status_from text NOT NULL,
    status_to text NOT NULL,
    unit text NOT NULL,
    data jsonb NOT NULL,
    PRIMARY KEY (issue_id, seq)
);
CREATE INDEX events_at ON events (at);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- The key is taken first in create_issue (INSERT ... ON CONFLICT DO NOTHING), so the issue
-- it names is checked only at commit.
CREATE TABLE idempotency (
    key text COLLATE "C" PRIMARY KEY,
    request_hash text NOT NULL,
    issue_id text COLLATE "C" NOT NULL
        REFERENCES issues (issue_id) DEFERRABLE INITIALLY DEFERRED,
    created_at timestamptz NOT NULL
);

CREATE TABLE tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    role text NOT NULL,
    subject text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked boolean NOT NULL DEFAULT false
);
