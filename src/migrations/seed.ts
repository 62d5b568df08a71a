// Rows in every empty table of the base schema, so that a rewrite or a scan has something to show:
// generated per column type, parents before children, a table that refuses them left empty.
import pg from "pg";

export interface Seeded {
  table: string;
  rows: number;
  /** Why the table stayed empty. */
  skipped?: string;
}

interface Column {
  table: string;
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  references?: string;
}

const COLUMNS = `SELECT c.table_name AS table, c.column_name AS name, c.udt_name AS type,
  c.is_nullable = 'YES' AS nullable, (c.column_default IS NOT NULL OR c.is_identity = 'YES') AS "hasDefault",
  (SELECT ccu.table_name FROM information_schema.key_column_usage k
     JOIN information_schema.referential_constraints r ON r.constraint_name = k.constraint_name
     JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = r.unique_constraint_name
     WHERE k.table_name = c.table_name AND k.column_name = c.column_name LIMIT 1) AS references
  FROM information_schema.columns c JOIN information_schema.tables t
    ON t.table_name = c.table_name AND t.table_schema = c.table_schema
  WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  ORDER BY c.table_name, c.ordinal_position`;

/** A value for row `g` of a column of this type; undefined when none is known. */
function valueFor(column: Column): string | undefined {
  if (column.references) return "g";
  if (/^(int[248]|numeric|float[48])$/.test(column.type)) return "g";
  if (/^(text|varchar|bpchar|citext)$/.test(column.type)) return "g::text";
  if (column.type === "bool") return "g % 2 = 0";
  if (/^(timestamptz|timestamp|date)$/.test(column.type)) return "now() - g * interval '1 minute'";
  if (column.type === "uuid") return "gen_random_uuid()";
  if (/^jsonb?$/.test(column.type)) return "'{}'";
  return undefined;
}

/** Tables ordered so that each comes after the tables its foreign keys point to. */
function parentsFirst(tables: Map<string, Column[]>): string[] {
  const done: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (done.includes(table) || path.has(table)) return;
    path.add(table);
    for (const column of tables.get(table) ?? [])
      if (column.references) visit(column.references, path);
    done.push(table);
  };
  for (const table of tables.keys()) visit(table, new Set());
  return done.filter((table) => tables.has(table));
}

export async function seedTables(client: pg.Client, rows: number): Promise<Seeded[]> {
  const { rows: columns } = await client.query<Column>(COLUMNS);
  const tables = new Map<string, Column[]>();
  for (const column of columns)
    tables.set(column.table, [...(tables.get(column.table) ?? []), column]);
  const seeded: Seeded[] = [];
  for (const table of parentsFirst(tables)) {
    const name = pg.escapeIdentifier(table);
    const existing = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
    if (Number(existing.rows[0]?.n) > 0) {
      seeded.push({ table, rows: Number(existing.rows[0]?.n) });
      continue;
    }
    const filled = (tables.get(table) ?? []).filter((c) => !c.hasDefault || c.references);
    const values = filled.map(valueFor);
    const missing = filled.find((column, i) => values[i] === undefined && !column.nullable);
    if (missing) {
      seeded.push({
        table,
        rows: 0,
        skipped: `no value known for ${missing.name} (${missing.type})`,
      });
      continue;
    }
    const list = filled.filter((_, i) => values[i] !== undefined);
    const sql =
      `INSERT INTO ${name} (${list.map((c) => pg.escapeIdentifier(c.name)).join(", ")}) ` +
      `SELECT ${values.filter((v) => v !== undefined).join(", ")} FROM generate_series(1, ${rows}) AS g`;
    try {
      await client.query(
        list.length ? sql : `INSERT INTO ${name} SELECT FROM generate_series(1, ${rows})`,
      );
      seeded.push({ table, rows });
    } catch (error) {
      seeded.push({ table, rows: 0, skipped: (error as Error).message });
    }
  }
  return seeded;
}
