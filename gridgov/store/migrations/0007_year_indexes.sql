-- 0007: a year of a busy county and more (bench/bench_year.py, 1,000,000 issues).
--
-- A box (/issues?bbox=, the issues layer) was asked as `geom && envelope`, which the GiST
-- index answers only through a bitmap of heap pages: counting one township's 40,000
-- issues read 37,000 pages of a 1.3 GB table (0.4 s). The store asks for the box as
-- ST_X/ST_Y ranges instead (inclusive, on the exact coordinates, as the SQLite store's
-- lon/lat BETWEEN; && compared float4 boxes rounded outwards), which this index answers by
-- itself: the count is an index-only scan (30 ms). It carries geom: a query that names it
-- needs it in the index to skip the heap.
CREATE INDEX issues_xy ON issues (ST_X(geom), ST_Y(geom)) INCLUDE (geom);
-- /issues?level= had no index: counting its matches scanned the whole table (0.9 s).
CREATE INDEX issues_level_created ON issues (level, created_at DESC, issue_id);
-- the planner's estimates for ST_X/ST_Y ranges come from issues_xy's statistics, which only
-- ANALYZE gathers: without them a box looks like 25 rows and its page is sorted from the heap
-- (0.8 s at 1,000,000 issues). An empty table is left alone: analysed empty, a few rows
-- later the planner would still believe it empty.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM issues) THEN
        ANALYZE issues;
    END IF;
END
$$;
