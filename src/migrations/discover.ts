// Which migrations a pull request adds or changes: the common layouts as globs, their run order by
// version (or sqitch's plan), the base's files against the head's, and each one's down migration.

export const LAYOUTS = {
  flyway: "**/V[0-9]*__*.sql",
  "golang-migrate": "**/[0-9]*_*.up.sql",
  prisma: "**/migrations/*/migration.sql",
  dbmate: "**/[0-9]*_*.sql",
  sqitch: "**/deploy/**/*.sql",
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

/**
 * The layout whose files are present, the most specific first; numbered when none matches. sqitch is
 * known by its sqitch.plan, dbmate by a `-- migrate:up` line in one of the numbered files (`texts`,
 * when given: the files' text by path).
 */
export function detectLayout(
  paths: readonly string[],
  texts?: ReadonlyMap<string, string>,
): Layout {
  if (paths.some((path) => basename(path) === "sqitch.plan")) return "sqitch";
  const numbered = globPattern(LAYOUTS.numbered);
  const dbmate = [...(texts ?? [])].some(
    ([path, text]) => numbered.test(path) && dbmateSections(text).up !== undefined,
  );
  const order: Layout[] = ["flyway", "golang-migrate", "prisma"];
  return (
    order.find((layout) => paths.some((path) => globPattern(LAYOUTS[layout]).test(path))) ??
    (dbmate ? "dbmate" : "numbered")
  );
}

const basename = (path: string) => path.split("/").at(-1) ?? "";

/** Down, undo and verify files, which run only to roll back or to check: never part of the up sequence. */
function isDownFile(path: string): boolean {
  return (
    path.endsWith(".down.sql") ||
    /^U\d/.test(basename(path)) ||
    /(^|\/)(revert|verify)\//.test(path)
  );
}

/** The migrations among `paths` (down migrations and files outside the glob left out). */
export function selectMigrations(paths: readonly string[], glob: string): string[] {
  const pattern = globPattern(glob);
  return paths.filter((path) => pattern.test(path) && !isDownFile(path));
}

/**
 * The down migration of an up migration, when its layout has one: golang-migrate's `.down.sql`
 * beside it, Flyway's undo file of the same version (`U<n>__*.sql`), sqitch's `revert/` script of
 * the same change, or dbmate's `-- migrate:down` section of the same file (the path itself).
 */
export function downPathOf(
  layout: Layout | "glob",
  path: string,
  paths: readonly string[],
): string | undefined {
  const has = (candidate: string) => (paths.includes(candidate) ? candidate : undefined);
  const dir = path.slice(0, path.length - basename(path).length);
  switch (layout) {
    case "golang-migrate":
      return path.endsWith(".up.sql")
        ? has(`${path.slice(0, -".up.sql".length)}.down.sql`)
        : undefined;
    case "flyway": {
      const version = /^V(\d+(?:[._]\d+)*)__/.exec(basename(path))?.[1];
      return paths.find(
        (other) =>
          other.startsWith(dir) &&
          !other.slice(dir.length).includes("/") &&
          basename(other).startsWith(`U${version}__`),
      );
    }
    case "sqitch": {
      const rooted = `/${path}`;
      const at = rooted.lastIndexOf("/deploy/");
      return at < 0
        ? undefined
        : has(`${rooted.slice(1, at + 1)}revert/${rooted.slice(at + "/deploy/".length)}`);
    }
    case "dbmate":
      return path;
    default:
      return undefined;
  }
}

/** sqitch's verify script of a deploy script (`verify/<change>.sql`), when there is one. */
export function verifyPathOf(path: string, paths: readonly string[]): string | undefined {
  const rooted = `/${path}`;
  const at = rooted.lastIndexOf("/deploy/");
  if (at < 0) return undefined;
  const verify = `${rooted.slice(1, at + 1)}verify/${rooted.slice(at + "/deploy/".length)}`;
  return paths.includes(verify) ? verify : undefined;
}

/** A file's up and down sections; a section absent from the file is undefined. */
export interface Sections {
  up?: string;
  down?: string;
}

/**
 * dbmate's sections: the lines after `-- migrate:up` and after `-- migrate:down` (dbmate reads its
 * own directives line by line, as here). Each section keeps the file's line numbers and columns:
 * every other line is blanked, so positions in a section are positions in the file. Options after
 * the directive (`transaction:false`) are in `options`.
 */
export function dbmateSections(
  text: string,
): Sections & { upOptions?: string; downOptions?: string } {
  const lines = text.split("\n");
  const kinds = lines.map((line) => /^--\s*migrate:(up|down)\b(.*)$/.exec(line.trim()));
  const section = (kind: "up" | "down"): [string | undefined, string | undefined] => {
    const start = kinds.findIndex((match) => match?.[1] === kind);
    if (start < 0) return [undefined, undefined];
    const end = kinds.findIndex((match, i) => i > start && match !== null);
    const last = end < 0 ? lines.length : end;
    const body = lines.map((line, i) => (i > start && i < last ? line : ""));
    return [body.join("\n"), kinds[start]?.[2]?.trim() ?? ""];
  };
  const [up, upOptions] = section("up");
  const [down, downOptions] = section("down");
  return {
    ...(up !== undefined ? { up, upOptions } : {}),
    ...(down !== undefined ? { down, downOptions } : {}),
  };
}

/** The up migration's SQL of a file in its layout (dbmate: its up section, the whole file when it has none). */
export function upSql(layout: Layout | "glob", text: string): string {
  return layout === "dbmate" ? (dbmateSections(text).up ?? text) : text;
}

/** The down migration's SQL from its file (dbmate: the down section of the up file itself). */
export function downSql(layout: Layout | "glob", text: string): string | undefined {
  return layout === "dbmate" ? dbmateSections(text).down : text;
}

/**
 * The changes a sqitch.plan lists, in order (`name [deps] date planner <email> # note`; pragmas
 * `%...`, tags `@...`, comments and blank lines skipped), as the deploy scripts' paths under `dir`.
 */
export function sqitchPlan(dir: string, plan: string): string[] {
  const prefix = dir === "" || dir === "." ? "" : `${dir.replace(/\/$/, "")}/`;
  return plan.split("\n").flatMap((line) => {
    const trimmed = line.trim();
    if (!trimmed || /^[%@#]/.test(trimmed)) return [];
    const name = trimmed.split(/\s+/)[0] ?? "";
    return name ? [`${prefix}deploy/${name}.sql`] : [];
  });
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

/**
 * Paths in the order the migration tool runs them; with a `plan` (sqitch), in the plan's order,
 * paths it does not list last.
 */
export function orderMigrations(
  paths: readonly string[],
  order: Order,
  plan?: readonly string[],
): string[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  if (plan) {
    const rank = (path: string) => (plan.includes(path) ? plan.indexOf(path) : plan.length);
    return [...paths].sort((a, b) => rank(a) - rank(b) || byName(a, b));
  }
  if (order === "lexical") return [...paths].sort(byName);
  return [...paths].sort((a, b) => compareVersions(versionOf(a), versionOf(b)) || byName(a, b));
}

export interface MigrationChange {
  path: string;
  status: "added" | "changed";
  /** Its down migration's file (dbmate: the path itself, whose down section it is). */
  down?: string;
  /** sqitch's verify script for it. */
  verify?: string;
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
  plan?: readonly string[],
): Pick<Discovery, "base" | "changes"> {
  const changes = orderMigrations([...head.keys()], order, plan).flatMap(
    (path): MigrationChange[] => {
      const before = base.get(path);
      if (before === undefined) return [{ path, status: "added" }];
      return before === head.get(path) ? [] : [{ path, status: "changed" }];
    },
  );
  const baseFiles = orderMigrations([...base.keys()], order, plan).map((path) => ({
    path,
    sql: base.get(path) ?? "",
  }));
  return { base: baseFiles, changes };
}
