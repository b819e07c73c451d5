-- 0003: open issues per dispatched deputy, kept by a trigger on issues. Dispatch reads the
-- load of a pool's deputies on every creation; counting it from the open issues (0001's
-- partial GIN index) grows with the backlog: with 1,000 open issues overloading whole
-- townships its p99 reached 370 ms (bench/bench_store.py). The trigger moves one issue's
-- share in the same transaction as the write, so the table is never out of step, whoever
-- writes. Rows are touched in deputy order, so two writers never wait on each other in a
-- cycle. The status list is gridgov.lifecycle.OPEN_STATUSES, as in 0001.

CREATE TABLE deputy_load (
    deputy_id text COLLATE "C" PRIMARY KEY,
    open integer NOT NULL
);

CREATE FUNCTION deputy_load_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was text[] := '{}';
    now_ text[] := '{}';
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status IN (
        'acknowledged', 'assigned', 'dispatched', 'in_progress', 'located', 'raised'
    ) THEN
        was := OLD.deputies;
    END IF;
    IF NEW.status IN (
        'acknowledged', 'assigned', 'dispatched', 'in_progress', 'located', 'raised'
    ) THEN
        now_ := NEW.deputies;
    END IF;
    IF was = now_ THEN
        RETURN NULL;
    END IF;
    INSERT INTO deputy_load AS l (deputy_id, open)
    SELECT d, sum(n)::integer FROM (
        SELECT unnest(now_) AS d, 1 AS n
        UNION ALL
        SELECT unnest(was), -1
    ) AS change
    GROUP BY d HAVING sum(n) <> 0 ORDER BY d
    ON CONFLICT (deputy_id) DO UPDATE SET open = l.open + excluded.open;
    RETURN NULL;
END
$$;

CREATE TRIGGER issues_deputy_load AFTER INSERT OR UPDATE ON issues
    FOR EACH ROW EXECUTE FUNCTION deputy_load_follow();

-- a database upgraded from 0002 already has issues: count them once
INSERT INTO deputy_load (deputy_id, open)
SELECT d, count(*)::integer FROM issues CROSS JOIN LATERAL unnest(deputies) AS d
WHERE status IN ('acknowledged', 'assigned', 'dispatched', 'in_progress', 'located', 'raised')
GROUP BY d;
