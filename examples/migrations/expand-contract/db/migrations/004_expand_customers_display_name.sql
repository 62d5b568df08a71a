-- Expand: display_name beside name, the two kept equal by a trigger whichever version writes,
-- while 1.4 (name) and 1.5 (display_name) run side by side. Nothing is renamed or dropped.
SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN display_name text;

CREATE FUNCTION customers_display_name_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.display_name := coalesce(NEW.display_name, NEW.name);
    NEW.name := coalesce(NEW.name, NEW.display_name);
  ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
    NEW.display_name := NEW.name;
  ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN
    NEW.name := NEW.display_name;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER customers_display_name_sync BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_display_name_sync();

-- Backfill the rows written before the trigger (on a large table, in batches of ids).
UPDATE customers SET display_name = name WHERE display_name IS NULL;
