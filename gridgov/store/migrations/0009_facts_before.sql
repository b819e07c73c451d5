-- 0009: the figures each issue gave before its last event, one row per change
-- (gridgov.store.base.IssueFacts.earlier): a period that ends while an issue was still
-- moving reads the row in force at its end instead of replaying the issue's log. A row holds
-- for a period ending after its last_event_at and at or before its valid_until.
CREATE TABLE issue_facts_before (
    valid_until timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    issue_id text COLLATE "C" NOT NULL,
    last_event_at timestamptz NOT NULL,
    basis text COLLATE "C" NOT NULL,
    station_id text COLLATE "C" NOT NULL,
    township_code text COLLATE "C" NOT NULL,
    category text NOT NULL,
    flags integer NOT NULL,
    hours_to_acknowledge double precision,
    hours_to_resolve double precision,
    fact_deputies text[] COLLATE "C" NOT NULL DEFAULT '{}',
    PRIMARY KEY (issue_id, last_event_at)
);
-- a period's end reads only the rows still in force then (none for a period ending now)
CREATE INDEX issue_facts_before_until ON issue_facts_before (valid_until, created_at);
-- the final facts of the issues still moving at a period's end
CREATE INDEX issue_facts_last ON issue_facts (last_event_at);

CREATE OR REPLACE FUNCTION issues_facts_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM issue_facts WHERE issue_id = NEW.issue_id;
    DELETE FROM issue_facts_before WHERE issue_id = NEW.issue_id;
    RETURN NULL;
END $$;
