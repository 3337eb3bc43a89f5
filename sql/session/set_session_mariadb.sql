-- name: set_session_mariadb
-- params: statement_timeout_s
-- returns: nothing
-- Run on every new MariaDB connection: a server-side time limit per statement
-- (seconds), UTC for any server-side time function, room for key business lists.
SET SESSION max_statement_time = %(statement_timeout_s)s,
    time_zone = '+00:00',
    group_concat_max_len = 1048576
