-- name: list_services_first_page
-- params: business_id, limit
-- returns: rows (line) as list_services, for its first page with no active
--          filter: no keyset condition and no is_active one. Either, true of every row here,
--          still costs the server's optimizer a range analysis at each run: about 30 us
--          of MariaDB's CPU a request, a tenth of this short page's (docs/benchmarks.md,
--          ninth round).
SELECT
       -- include: service_line
       AS line
-- include: services_live_business
 ORDER BY s.name, s.id
 LIMIT %(limit)s
