-- name: set_session_mysql
-- params: statement_timeout_ms
-- returns: nothing
-- Run on every new MySQL connection: MAX_EXECUTION_TIME (milliseconds, SELECT only),
-- UTC, room for key business lists.
SET SESSION max_execution_time = %(statement_timeout_ms)s,
    time_zone = '+00:00',
    group_concat_max_len = 1048576
