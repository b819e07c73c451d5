-- 0006: what each issue contributes to the statistics (gridgov.store.base.IssueFacts), with
-- copies of the columns the figures filter and group on, so a year of a county is one
-- aggregate over these small rows instead of a replay of every log. A cache: every update
-- of an issue deletes its row (the trigger), rows are written only while the issue is at
-- their version, and rows computed under other deadlines (basis) are ignored.
CREATE TABLE issue_facts (
    issue_id text COLLATE "C" PRIMARY KEY,
    issue_version integer NOT NULL,
    basis text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    station_id text COLLATE "C" NOT NULL,
    township_code text COLLATE "C" NOT NULL,
    category text NOT NULL,
    last_event_at timestamptz NOT NULL,
    flags integer NOT NULL, -- the yes/no facts as bits (gridgov.store._facts)
    hours_to_acknowledge double precision,
    hours_to_resolve double precision,
    fact_deputies text[] COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE INDEX issue_facts_created ON issue_facts (basis, created_at);

CREATE FUNCTION issues_facts_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM issue_facts WHERE issue_id = NEW.issue_id;
    RETURN NULL;
END $$;
CREATE TRIGGER issues_facts_stale AFTER UPDATE ON issues
    FOR EACH ROW EXECUTE FUNCTION issues_facts_stale();

-- deputies' visits in a period (the predicate is written literally in fact_totals)
CREATE INDEX events_deputy_visits ON events (at) INCLUDE (issue_id, actor_id, unit)
    WHERE kind = 'acknowledged' AND actor_role = 'deputy';
