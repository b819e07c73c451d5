-- 0012: statistics of a year without reading a year of rows.
--
-- facts_pending lists the issues whose facts are missing (new, or changed since their facts
-- were written): the statistics refresh reads it instead of counting every issue and every
-- fact (two counts of a million rows took 0.3 s per request). Rows are added by the issues'
-- triggers and removed when the facts are written (gridgov.store.postgis.put_facts).
CREATE TABLE facts_pending (
    issue_id text COLLATE "C" PRIMARY KEY REFERENCES issues (issue_id) ON DELETE CASCADE
);
INSERT INTO facts_pending (issue_id)
SELECT issue_id FROM issues i
WHERE NOT EXISTS (SELECT 1 FROM issue_facts f WHERE f.issue_id = i.issue_id);

CREATE FUNCTION issues_facts_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO facts_pending (issue_id) SELECT issue_id FROM new_issues ORDER BY 1
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- a statement trigger: one insert per COPY or bulk write, not one per issue
CREATE TRIGGER issues_facts_pending AFTER INSERT ON issues
    REFERENCING NEW TABLE AS new_issues FOR EACH STATEMENT EXECUTE FUNCTION issues_facts_pending();

CREATE OR REPLACE FUNCTION issues_facts_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM issue_facts WHERE issue_id = NEW.issue_id;
    DELETE FROM issue_facts_before WHERE issue_id = NEW.issue_id;
    INSERT INTO facts_pending (issue_id) VALUES (NEW.issue_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- The final facts summed per local (Asia/Shanghai) month of creation, unit, category, flags
-- and local month of the last event: a period's whole months are read here (a year of
-- 1,000,000 issues is about 98,000 rows), its edges and the issues that moved into the
-- month of its end from issue_facts (gridgov.store.postgis.fact_totals).
--
-- Writers never update a shared row: the triggers of issue_facts only append signed changes
-- to fact_month_changes (an issue's update deletes its facts: one row of -1), so two writers
-- never wait for each other or deadlock on a month's total. The changes are folded into
-- fact_months by whoever reads the statistics once enough have gathered, under an advisory
-- lock; readers sum both tables.
CREATE TABLE fact_months (
    basis text COLLATE "C" NOT NULL,
    month date NOT NULL,
    station_id text COLLATE "C" NOT NULL,
    township_code text COLLATE "C" NOT NULL,
    category text NOT NULL,
    flags integer NOT NULL,
    last_month date NOT NULL,
    issues integer NOT NULL,
    sum_hours_to_acknowledge double precision NOT NULL,
    sum_hours_to_resolve double precision NOT NULL,
    PRIMARY KEY (basis, month, station_id, township_code, category, flags, last_month)
);
CREATE TABLE fact_month_changes (LIKE fact_months); -- no key: rows are only appended

CREATE FUNCTION issue_facts_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO fact_month_changes
        SELECT basis, (date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date,
               station_id, township_code, category, flags,
               (date_trunc('month', last_event_at AT TIME ZONE 'Asia/Shanghai'))::date,
               -count(*)::integer, -coalesce(sum(hours_to_acknowledge), 0),
               -coalesce(sum(hours_to_resolve), 0)
        FROM old_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fact_month_changes
        SELECT basis, (date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date,
               station_id, township_code, category, flags,
               (date_trunc('month', last_event_at AT TIME ZONE 'Asia/Shanghai'))::date,
               count(*)::integer, coalesce(sum(hours_to_acknowledge), 0),
               coalesce(sum(hours_to_resolve), 0)
        FROM new_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER issue_facts_months_insert AFTER INSERT ON issue_facts
    REFERENCING NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION issue_facts_months();
CREATE TRIGGER issue_facts_months_update AFTER UPDATE ON issue_facts
    REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION issue_facts_months();
CREATE TRIGGER issue_facts_months_delete AFTER DELETE ON issue_facts
    REFERENCING OLD TABLE AS old_facts FOR EACH STATEMENT EXECUTE FUNCTION issue_facts_months();

INSERT INTO fact_months
SELECT basis, (date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date,
       station_id, township_code, category, flags,
       (date_trunc('month', last_event_at AT TIME ZONE 'Asia/Shanghai'))::date,
       count(*)::integer, coalesce(sum(hours_to_acknowledge), 0), coalesce(sum(hours_to_resolve), 0)
FROM issue_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- The deputies' visits per local month, deputy, unit and the station, township and category
-- of their issue now: a period's whole months are read here, its edges join the events to
-- the facts. The statistics place a visit away from a station at its issue's station, and
-- a scope, a township or a category needs every visit's issue: joining a year's visits to
-- their issues took 140-220 ms for the 27,000 away from stations and 1.4 s for all 860,000
-- at 1,000,000 issues. Kept by the events' statement trigger, and moved when an issue
-- changes station, township or category. Keys are locked in order, so writers wait for
-- each other instead of deadlocking.
CREATE TABLE visit_months_placed (
    month date NOT NULL,
    actor_id text COLLATE "C" NOT NULL,
    unit text COLLATE "C" NOT NULL,
    station_id text COLLATE "C" NOT NULL,
    township_code text COLLATE "C" NOT NULL,
    category text NOT NULL,
    visits integer NOT NULL,
    PRIMARY KEY (month, actor_id, unit, station_id, township_code, category)
);
CREATE FUNCTION events_visits_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO visit_months_placed
        (month, actor_id, unit, station_id, township_code, category, visits)
    SELECT (date_trunc('month', e.at AT TIME ZONE 'Asia/Shanghai'))::date, e.actor_id, e.unit,
           i.station_id, i.township_code, i.category, count(*)::integer
    FROM new_events e JOIN issues i USING (issue_id)
    WHERE e.kind = 'acknowledged' AND e.actor_role = 'deputy'
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (month, actor_id, unit, station_id, township_code, category)
    DO UPDATE SET visits = visit_months_placed.visits + excluded.visits;
    RETURN NULL;
END $$;
CREATE TRIGGER events_visits_placed AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_visits_placed();

CREATE FUNCTION issue_visits(issue text) RETURNS TABLE (
    month date, actor_id text, unit text, n integer
) LANGUAGE sql STABLE AS $$
    SELECT (date_trunc('month', at AT TIME ZONE 'Asia/Shanghai'))::date, actor_id, unit,
           count(*)::integer
    FROM events WHERE issue_id = issue AND kind = 'acknowledged' AND actor_role = 'deputy'
    GROUP BY 1, 2, 3
$$;
CREATE FUNCTION issues_visits_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM visit_months_placed m
    JOIN issue_visits(NEW.issue_id) v
        ON m.month = v.month AND m.actor_id = v.actor_id AND m.unit = v.unit
    WHERE (m.station_id, m.township_code, m.category)
        IN ((OLD.station_id, OLD.township_code, OLD.category),
            (NEW.station_id, NEW.township_code, NEW.category))
    ORDER BY m.month, m.actor_id, m.unit, m.station_id, m.township_code, m.category
    FOR UPDATE OF m;
    UPDATE visit_months_placed m SET visits = m.visits - v.n
    FROM issue_visits(NEW.issue_id) v
    WHERE m.month = v.month AND m.actor_id = v.actor_id AND m.unit = v.unit
        AND m.station_id = OLD.station_id AND m.township_code = OLD.township_code
        AND m.category = OLD.category;
    INSERT INTO visit_months_placed
        (month, actor_id, unit, station_id, township_code, category, visits)
    SELECT v.month, v.actor_id, v.unit, NEW.station_id, NEW.township_code, NEW.category, v.n
    FROM issue_visits(NEW.issue_id) v ORDER BY 1, 2, 3
    ON CONFLICT (month, actor_id, unit, station_id, township_code, category)
    DO UPDATE SET visits = visit_months_placed.visits + excluded.visits;
    RETURN NULL;
END $$;
CREATE TRIGGER issues_visits_move
    AFTER UPDATE OF station_id, township_code, category ON issues FOR EACH ROW
    WHEN (OLD.station_id IS DISTINCT FROM NEW.station_id
          OR OLD.township_code IS DISTINCT FROM NEW.township_code
          OR OLD.category IS DISTINCT FROM NEW.category)
    EXECUTE FUNCTION issues_visits_move();

INSERT INTO visit_months_placed (month, actor_id, unit, station_id, township_code, category, visits)
SELECT (date_trunc('month', e.at AT TIME ZONE 'Asia/Shanghai'))::date, e.actor_id, e.unit,
       i.station_id, i.township_code, i.category, count(*)::integer
FROM events e JOIN issues i USING (issue_id)
WHERE e.kind = 'acknowledged' AND e.actor_role = 'deputy'
GROUP BY 1, 2, 3, 4, 5, 6;
