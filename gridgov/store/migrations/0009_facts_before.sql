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

-- Deputies' visits per UTC calendar month, deputy and unit, kept by a statement trigger
-- (events are only ever added; COPY fires it too): a period's whole months are read here,
-- its edges from the events (gridgov.store._facts.month_split). Keys are taken in order, so
-- two writers adding visits of the same deputies wait for each other instead of deadlocking.
CREATE TABLE visit_months (
    month date NOT NULL,
    actor_id text COLLATE "C" NOT NULL,
    unit text COLLATE "C" NOT NULL,
    visits integer NOT NULL,
    PRIMARY KEY (month, actor_id, unit)
);
CREATE FUNCTION events_visit_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO visit_months (month, actor_id, unit, visits)
    SELECT (date_trunc('month', at AT TIME ZONE 'UTC'))::date, actor_id, unit, count(*)::integer
    FROM new_events WHERE kind = 'acknowledged' AND actor_role = 'deputy'
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (month, actor_id, unit) DO UPDATE SET visits = visit_months.visits + excluded.visits;
    RETURN NULL;
END $$;
CREATE TRIGGER events_visit_months AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_visit_months();
INSERT INTO visit_months (month, actor_id, unit, visits)
SELECT (date_trunc('month', at AT TIME ZONE 'UTC'))::date, actor_id, unit, count(*)::integer
FROM events WHERE kind = 'acknowledged' AND actor_role = 'deputy' GROUP BY 1, 2, 3;
-- the visits away from a station (joined to their issue's facts), without reading the rest
CREATE INDEX events_deputy_visits_elsewhere ON events (at) INCLUDE (issue_id, actor_id, unit)
    WHERE kind = 'acknowledged' AND actor_role = 'deputy' AND unit NOT LIKE 'station:%';
