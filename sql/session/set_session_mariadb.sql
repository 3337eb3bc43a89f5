-- name: set_session_mariadb
-- params: statement_timeout_s
-- returns: nothing
-- An IN list of more than 10 values (a page's invoice or business ids, up to 200) is
-- estimated from index statistics instead of one index dive per value: the plan is
-- the same (the list is on the index's first column), and planning a page's items
-- took a third of the statement's time. Short lists (statuses) keep their dives.
-- Run on every new MariaDB connection: a server-side time limit per statement
-- (seconds), UTC for any server-side time function, room for key business lists.
SET SESSION max_statement_time = %(statement_timeout_s)s,
    time_zone = '+00:00',
    group_concat_max_len = 1048576,
    eq_range_index_dive_limit = 10
