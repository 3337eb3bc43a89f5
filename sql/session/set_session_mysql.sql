-- name: set_session_mysql
-- params: statement_timeout_ms
-- returns: nothing
-- An IN list of more than 10 values (a page's invoice or business ids, up to 200) is
-- estimated from index statistics instead of one index dive per value: the plan is
-- the same (the list is on the index's first column), and planning a page's items
-- took a third of the statement's time. Short lists (statuses) keep their dives.
-- Run on every new MySQL connection: MAX_EXECUTION_TIME (milliseconds, SELECT only),
-- UTC, room for key business lists.
SET SESSION max_execution_time = %(statement_timeout_ms)s,
    time_zone = '+00:00',
    group_concat_max_len = 1048576,
    eq_range_index_dive_limit = 10
