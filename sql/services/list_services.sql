-- name: list_services
-- params: business_id, active_a, active_b, after_name, after_id, limit
-- returns: rows (line) of one business, by name then id, after the keyset
--          position (after_name, after_id); is_active is active_a or active_b: 0 and 1, 1 and 1,
--          or 0 and 0 (two values, not a list: the statement is prepared once). line is the
--          service object of /services (sql/fragments/service_line.sql). Rows only
--          while the business is live (sql/fragments/services_live_business.sql).
--          line is the only column: the caller reads a page's last position from its
--          last line (two columns fewer to describe and send per page). The first
--          page of every service uses list_services_first_page.
SELECT
       -- include: service_line
       AS line
-- include: services_live_business
   AND s.name >= %(after_name)s
   AND (s.name > %(after_name)s OR s.id > %(after_id)s)
   AND s.is_active IN (%(active_a)s, %(active_b)s)
 ORDER BY s.name, s.id
 LIMIT %(limit)s
