-- fragment: services_live_business
-- FROM and the first condition of the /services page statements (list_services,
-- list_services_first_page): rows only while the business exists and is not deleted
-- (b: one row read by its primary key while the statement is planned, cheaper than an
-- EXISTS subquery; a derived table, so that the shared timestamp fragment's columns
-- stay the service's). An empty result is the caller's cue to tell a 404 from an empty
-- page, so a non-empty page costs no separate lookup.
  FROM (SELECT 1 AS live FROM businesses
         WHERE id = %(business_id)s AND deleted_at IS NULL) b,
       services s FORCE INDEX (ix_services_business_name)
 WHERE s.business_id = %(business_id)s
   AND s.deleted_at IS NULL
