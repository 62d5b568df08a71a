// Discovery in every layout: which files are migrations, the order they run in, their down
// migrations, dbmate's sections and sqitch's plan, and the base's files against the head's.
import { describe, expect, it } from "@jest/globals";
import {
  dbmateSections,
  detectLayout,
  diffMigrations,
  downPathOf,
  downSql,
  LAYOUTS,
  orderMigrations,
  selectMigrations,
  sqitchPlan,
  upSql,
  verifyPathOf,
} from "../../src/migrations/discover.js";

const DBMATE = `-- migrate:up
CREATE TABLE users (id bigint);
  ALTER TABLE users ADD COLUMN name text;

-- migrate:down
DROP TABLE users;
`;

describe("layouts", () => {
  it("flyway: versioned files in version order, V1_10 after V1_2; undo files are downs, not ups", () => {
    const paths = [
      "db/V1_10__later.sql",
      "db/V1_2__earlier.sql",
      "db/V2__next.sql",
      "db/U2__next.sql",
      "db/R__view.sql",
      "db/README.md",
    ];
    expect(detectLayout(paths)).toBe("flyway");
    const ups = selectMigrations(paths, LAYOUTS.flyway);
    expect(orderMigrations(ups, "version")).toEqual([
      "db/V1_2__earlier.sql",
      "db/V1_10__later.sql",
      "db/V2__next.sql",
    ]);
    expect(orderMigrations(ups, "lexical")).toEqual([
      "db/V1_10__later.sql",
      "db/V1_2__earlier.sql",
      "db/V2__next.sql",
    ]);
    expect(downPathOf("flyway", "db/V2__next.sql", paths)).toBe("db/U2__next.sql");
    expect(downPathOf("flyway", "db/V1_2__earlier.sql", paths)).toBeUndefined();
  });

  it("golang-migrate: .up.sql files are the ups, each with its .down.sql", () => {
    const paths = [
      "m/000010_b.up.sql",
      "m/000010_b.down.sql",
      "m/000002_a.up.sql",
      "m/000002_a.down.sql",
      "m/000011_c.up.sql",
    ];
    expect(detectLayout(paths)).toBe("golang-migrate");
    const ups = selectMigrations(paths, LAYOUTS["golang-migrate"]);
    expect(orderMigrations(ups, "version")).toEqual([
      "m/000002_a.up.sql",
      "m/000010_b.up.sql",
      "m/000011_c.up.sql",
    ]);
    expect(downPathOf("golang-migrate", "m/000010_b.up.sql", paths)).toBe("m/000010_b.down.sql");
    expect(downPathOf("golang-migrate", "m/000011_c.up.sql", paths)).toBeUndefined();
  });

  it("prisma: one migration.sql per folder, ordered by the folder's timestamp", () => {
    const paths = [
      "prisma/migrations/20240301120000_b/migration.sql",
      "prisma/migrations/20240101120000_a/migration.sql",
      "prisma/migrations/migration_lock.toml",
      "prisma/schema.prisma",
    ];
    expect(detectLayout(paths)).toBe("prisma");
    expect(orderMigrations(selectMigrations(paths, LAYOUTS.prisma), "version")).toEqual([
      "prisma/migrations/20240101120000_a/migration.sql",
      "prisma/migrations/20240301120000_b/migration.sql",
    ]);
    expect(downPathOf("prisma", paths[0]!, paths)).toBeUndefined();
  });

  it("dbmate: known by a -- migrate:up line; up and down sections of one file keep their lines", () => {
    const paths = ["db/migrations/20240102000000_users.sql", "db/migrations/20240101000000_x.sql"];
    const texts = new Map([[paths[0]!, DBMATE]]);
    expect(detectLayout(paths)).toBe("numbered");
    expect(detectLayout(paths, texts)).toBe("dbmate");
    expect(downPathOf("dbmate", paths[0]!, paths)).toBe(paths[0]);
    const up = upSql("dbmate", DBMATE);
    const down = downSql("dbmate", DBMATE) ?? "";
    expect(up.split("\n")).toHaveLength(DBMATE.split("\n").length);
    expect(up.split("\n")[2]).toBe("  ALTER TABLE users ADD COLUMN name text;");
    expect(up).not.toContain("DROP");
    expect(down.split("\n")[5]).toBe("DROP TABLE users;");
    expect(down).not.toContain("CREATE");
    expect(
      dbmateSections("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);"),
    ).toMatchObject({ upOptions: "transaction:false" });
    expect(dbmateSections("SELECT 1;")).toEqual({});
    expect(upSql("dbmate", "SELECT 1;")).toBe("SELECT 1;");
    expect(upSql("numbered", DBMATE)).toBe(DBMATE);
  });

  it("sqitch: known by sqitch.plan; deploy scripts in the plan's order, revert scripts as downs", () => {
    const plan = [
      "%syntax-version=1.0.0",
      "%project=shop",
      "",
      "users 2024-01-01T00:00:00Z Ann <ann@example.com> # users",
      "orders [users] 2024-01-02T00:00:00Z Ann <ann@example.com> # orders",
      "@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com> # tag",
      "appschema 2024-01-04T00:00:00Z Ann <ann@example.com>",
    ].join("\n");
    const paths = [
      "db/sqitch.plan",
      "db/deploy/appschema.sql",
      "db/deploy/orders.sql",
      "db/deploy/users.sql",
      "db/revert/users.sql",
      "db/revert/orders.sql",
      "db/verify/users.sql",
    ];
    expect(detectLayout(paths)).toBe("sqitch");
    const order = sqitchPlan("db", plan);
    expect(order).toEqual([
      "db/deploy/users.sql",
      "db/deploy/orders.sql",
      "db/deploy/appschema.sql",
    ]);
    const ups = selectMigrations(paths, LAYOUTS.sqitch);
    expect(orderMigrations(ups, "version", order)).toEqual(order);
    expect(orderMigrations(ups, "lexical")).toEqual([
      "db/deploy/appschema.sql",
      "db/deploy/orders.sql",
      "db/deploy/users.sql",
    ]);
    expect(downPathOf("sqitch", "db/deploy/orders.sql", paths)).toBe("db/revert/orders.sql");
    expect(downPathOf("sqitch", "db/deploy/appschema.sql", paths)).toBeUndefined();
    expect(verifyPathOf("db/deploy/users.sql", paths)).toBe("db/verify/users.sql");
    expect(verifyPathOf("db/deploy/orders.sql", paths)).toBeUndefined();
    expect(sqitchPlan(".", "users 2024-01-01T00:00:00Z a <a@b>")).toEqual(["deploy/users.sql"]);
    expect(downPathOf("sqitch", "deploy/users.sql", ["revert/users.sql"])).toBe("revert/users.sql");
  });

  it("numbered files, and a custom glob in lexical or version order", () => {
    const paths = ["sql/10_c.sql", "sql/9_b.sql", "sql/1_a.sql", "sql/notes.txt", "sql/seed.sql"];
    expect(detectLayout(paths)).toBe("numbered");
    expect(orderMigrations(selectMigrations(paths, LAYOUTS.numbered), "version")).toEqual([
      "sql/1_a.sql",
      "sql/9_b.sql",
      "sql/10_c.sql",
    ]);
    const custom = selectMigrations(["db/a/one.sql", "db/b/two.sql", "db/x.txt"], "db/**/*.sql");
    expect(orderMigrations(custom, "lexical")).toEqual(["db/a/one.sql", "db/b/two.sql"]);
    expect(selectMigrations(["db/x.sql", "db/y.psql"], "db/*.{sql,psql}")).toHaveLength(2);
    expect(downPathOf("glob", "db/a/one.sql", custom)).toBeUndefined();
  });
});

describe("base against head", () => {
  it("added and changed files in run order, the base's files with their base text", () => {
    const base = new Map([
      ["m/1_a.sql", "A"],
      ["m/2_b.sql", "B"],
    ]);
    const head = new Map([
      ["m/1_a.sql", "A"],
      ["m/2_b.sql", "B changed"],
      ["m/10_d.sql", "D"],
      ["m/3_c.sql", "C"],
    ]);
    expect(diffMigrations(base, head, "version")).toEqual({
      base: [
        { path: "m/1_a.sql", sql: "A" },
        { path: "m/2_b.sql", sql: "B" },
      ],
      changes: [
        { path: "m/2_b.sql", status: "changed" },
        { path: "m/3_c.sql", status: "added" },
        { path: "m/10_d.sql", status: "added" },
      ],
    });
  });
});
