-- Contract, a later pull request once no 1.4 instance is left: 1.5 reads and writes display_name
-- only, so name and the trigger that kept it in step can go. Each statement leaves a schema 1.5
-- works on (name stops being required before the trigger that filled it is dropped).
SET lock_timeout = '2s';
ALTER TABLE customers ALTER COLUMN name DROP NOT NULL;
DROP TRIGGER customers_display_name_sync ON customers;
DROP FUNCTION customers_display_name_sync();
-- migration-check:ignore dropping-column 1.4 is retired everywhere (no instance since the 1.5 rollout); 1.5 never reads name
ALTER TABLE customers DROP COLUMN name;
