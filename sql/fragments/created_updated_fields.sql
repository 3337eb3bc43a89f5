-- fragment: created_updated_fields
-- The last two members of an object written by CONCAT: created_at and updated_at as
-- RFC 3339 in UTC with Z, microseconds only when present; a zero or partly zero
-- DATETIME (a lax sql_mode lets the PHP side store one) is null. Arguments of CONCAT,
-- each followed by a comma: the caller closes the object with '}'.
',"created_at":', IF(created_at IS NULL OR YEAR(created_at) = 0 OR MONTH(created_at) = 0 OR DAYOFMONTH(created_at) = 0, 'null',
CONCAT('"', DATE_FORMAT(created_at, IF(MICROSECOND(created_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                   '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')), '"')),
',"updated_at":', IF(updated_at IS NULL OR YEAR(updated_at) = 0 OR MONTH(updated_at) = 0 OR DAYOFMONTH(updated_at) = 0, 'null',
CONCAT('"', DATE_FORMAT(updated_at, IF(MICROSECOND(updated_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                   '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')), '"')),
