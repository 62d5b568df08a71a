// Which migrations a pull request adds or changes: the common layouts as globs, their run order by
// version, and the base's files against the head's.

export const LAYOUTS = {
  flyway: "**/V[0-9]*__*.sql",
  "golang-migrate": "**/[0-9]*_*.up.sql",
  prisma: "**/migrations/*/migration.sql",
  numbered: "**/[0-9]*.sql",
} as const;
export type Layout = keyof typeof LAYOUTS;
export type Order = "version" | "lexical";

/** A glob over repository paths (`**`, `*`, `?`, `[...]`, `{a,b}`) as a regular expression. */
export function globPattern(glob: string): RegExp {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? "";
    if (glob.startsWith("**/", i)) {
      out += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      out += ".*";
      i += 1;
    } else if (char === "*") out += "[^/]*";
    else if (char === "?") out += "[^/]";
    else if (char === "{") {
      out += "(?:";
      braces++;
    } else if (char === "}" && braces > 0) {
      out += ")";
      braces--;
    } else if (char === "," && braces > 0) out += "|";
    else if (char === "[") {
      const end = glob.indexOf("]", i);
      out += glob.slice(i, end + 1);
      i = end;
    } else out += char.replace(/[.+^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** The layout whose files are present, the most specific first; numbered when none matches. */
export function detectLayout(paths: readonly string[]): Layout {
  const order: Layout[] = ["flyway", "golang-migrate", "prisma", "numbered"];
  return (
    order.find((layout) => paths.some((path) => globPattern(LAYOUTS[layout]).test(path))) ??
    "numbered"
  );
}

/** The migrations among `paths` (down migrations and files outside the glob left out). */
export function selectMigrations(paths: readonly string[], glob: string): string[] {
  const pattern = globPattern(glob);
  return paths.filter((path) => pattern.test(path) && !path.endsWith(".down.sql"));
}

/** The version a file name carries: V1_2__x -> [1, 2]; 0003_x.up.sql -> [3]; prisma's folder. */
export function versionOf(path: string): number[] {
  const parts = path.split("/");
  const name = parts.at(-1) === "migration.sql" ? (parts.at(-2) ?? "") : (parts.at(-1) ?? "");
  const flyway = /^V(\d+(?:[._]\d+)*)__/.exec(name);
  if (flyway?.[1]) return flyway[1].split(/[._]/).map(Number);
  const leading = /^(\d+)/.exec(name);
  return leading?.[1] ? [Number(leading[1])] : [];
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Paths in the order the migration tool runs them. */
export function orderMigrations(paths: readonly string[], order: Order): string[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  if (order === "lexical") return [...paths].sort(byName);
  return [...paths].sort((a, b) => compareVersions(versionOf(a), versionOf(b)) || byName(a, b));
}

export interface MigrationChange {
  path: string;
  status: "added" | "changed";
}

export interface Discovery {
  layout: Layout | "glob";
  /** Migrations the base already has, in order, with their base text: the schema production runs. */
  base: { path: string; sql: string }[];
  /** What the pull request adds or changes, in order. */
  changes: MigrationChange[];
}

/** Base files against head files (path -> text), both already filtered to migrations. */
export function diffMigrations(
  base: ReadonlyMap<string, string>,
  head: ReadonlyMap<string, string>,
  order: Order,
): Pick<Discovery, "base" | "changes"> {
  const changes = orderMigrations([...head.keys()], order).flatMap((path): MigrationChange[] => {
    const before = base.get(path);
    if (before === undefined) return [{ path, status: "added" }];
    return before === head.get(path) ? [] : [{ path, status: "changed" }];
  });
  const baseFiles = orderMigrations([...base.keys()], order).map((path) => ({
    path,
    sql: base.get(path) ?? "",
  }));
  return { base: baseFiles, changes };
}
