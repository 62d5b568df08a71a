-- Version 1.5 calls a customer's name display_name. Renaming it in place breaks 1.4, which still
-- serves most of the traffic during the canary: every query of 1.4 that names the column fails.
SET lock_timeout = '2s';
ALTER TABLE customers RENAME COLUMN name TO display_name;
