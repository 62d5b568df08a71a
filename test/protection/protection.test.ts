// Environment protection as code, without a network: the section's schema, the declaration, the
// plan against live settings, the writes it needs, and its report.
import { describe, expect, it } from "@jest/globals";
import { layerEnvironment, type LayeredEnvironment } from "../../src/config/layering.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import {
  declaredProtection,
  reviewerRef,
  type DeclaredProtection,
} from "../../src/protection/declared.js";
import {
  drifted,
  patternEdits,
  planEnvironment,
  writesFor,
  type LiveProtection,
  type Reviewer,
} from "../../src/protection/plan.js";
import { waitTimerMinutes } from "../../src/schema/protection.js";
import {
  changesJson,
  driftMessage,
  formatValue,
  renderProtectionReport,
} from "../../src/protection/report.js";
import { problemsOf } from "../support/configuration-error.js";

function environment(text: string, base = ""): LayeredEnvironment {
  const layers = [
    ...(base ? [parseYamlSource("environments/base.yml", base)] : []),
    parseYamlSource("environments/production.yml", text),
  ];
  return layerEnvironment({ name: "production", layers });
}

function declared(text: string, base = ""): DeclaredProtection {
  const protection = declaredProtection(environment(text, base));
  if (!protection) throw new Error("expected a protection section");
  return protection;
}

const PRODUCTION = `description: prod
protection:
  required-reviewers:
    - octo-org/release-managers
    - mona
  prevent-self-review: true
  wait-timer: 1h30m
  deployment-branch-policy:
    custom:
      - name: main
      - name: release/*
      - name: v*
        type: tag
`;

const MONA: Reviewer = { type: "User", id: 7, name: "mona" };
const RELEASE_MANAGERS: Reviewer = { type: "Team", id: 42, name: "octo-org/release-managers" };

describe("wait-timer values", () => {
  it.each([
    [0, 0],
    [30, 30],
    [43_200, 43_200],
    ["30m", 30],
    ["1h30m", 90],
    ["2d", 2880],
    ["1d2h3m", 1440 + 120 + 3],
    ["30d", 43_200],
  ])("%p is %p minutes", (value, minutes) => {
    expect(waitTimerMinutes(value)).toBe(minutes);
  });

  it.each([[-1], [1.5], [43_201], ["31d"], ["90s"], ["30"], [""], ["m"], ["1m1h"]])(
    "%p is refused",
    (value) => {
      expect(waitTimerMinutes(value)).toBeUndefined();
    },
  );
});

describe("the protection section", () => {
  it("reads into plain values: teams and users, minutes, patterns with their type", () => {
    const protection = declared(PRODUCTION);
    expect(protection.reviewers).toEqual([
      {
        name: "octo-org/release-managers",
        ref: { type: "Team", org: "octo-org", slug: "release-managers" },
        at: { file: "environments/production.yml", line: 4, column: 7 },
      },
      {
        name: "mona",
        ref: { type: "User", login: "mona" },
        at: { file: "environments/production.yml", line: 5, column: 7 },
      },
    ]);
    expect(protection.preventSelfReview).toBe(true);
    expect(protection.waitTimer).toBe(90);
    expect(protection.branchPolicy).toEqual({
      kind: "custom",
      patterns: [
        { name: "main", type: "branch" },
        { name: "release/*", type: "branch" },
        { name: "v*", type: "tag" },
      ],
    });
    expect(protection.locate(["wait-timer"])).toEqual({
      file: "environments/production.yml",
      line: 7,
      column: 3,
    });
  });

  it("left-out rules are off; no section at all is not managed", () => {
    const protection = declared(
      "protection:\n  deployment-branch-policy:\n    protected-branches: true\n",
    );
    expect(protection).toMatchObject({
      reviewers: [],
      preventSelfReview: false,
      waitTimer: 0,
      branchPolicy: { kind: "protected-branches" },
    });
    expect(declared("protection: {}\n")).toMatchObject({
      reviewers: [],
      waitTimer: 0,
      branchPolicy: { kind: "any" },
    });
    expect(declaredProtection(environment("description: none\n"))).toBeUndefined();
  });

  it("is layered like every section: base.yml's rules unless the environment replaces them", () => {
    const protection = declared(
      "protection:\n  wait-timer: 5\n",
      "protection:\n  required-reviewers: [mona]\n  wait-timer: 60\n",
    );
    expect(protection.reviewers.map((reviewer) => reviewer.name)).toEqual(["mona"]);
    expect(protection.waitTimer).toBe(5);
  });

  it("reports every mistake at its file and line", () => {
    const problems = problemsOf(() =>
      environment(`protection:
  required-reviewers: [mona, "not a login", mona]
  wait-timer: 90s
  prevent-self-review: yes
  deployment-branch-policy:
    protected-branches: true
    custom: [{ name: main }]
  reviewers: [mona]
`),
    );
    expect(problems).toEqual([
      "environments/production.yml:2 protection.required-reviewers[1]: " +
        "expected a user login such as octocat or a team as org/team-slug",
      "environments/production.yml:2 protection.required-reviewers: lists the same reviewer twice",
      "environments/production.yml:4 protection.prevent-self-review: expected true or false",
      "environments/production.yml:3 protection.wait-timer: " +
        "expected whole minutes from 0 to 43200 (30 days), or a duration such as 30m, 1h30m or 2d",
      "environments/production.yml:5 protection.deployment-branch-policy: " +
        "expected exactly one of protected-branches: true or custom: [patterns]",
      "environments/production.yml:8 protection.reviewers: unknown key (check its spelling and indentation)",
    ]);
  });

  it("refuses more than six reviewers, protected-branches: false, an empty pattern list and a pattern twice", () => {
    expect(
      problemsOf(() => environment("protection:\n  required-reviewers: [a, b, c, d, e, f, g]\n")),
    ).toEqual([
      "environments/production.yml:2 protection.required-reviewers: GitHub allows at most 6 required reviewers",
    ]);
    expect(
      problemsOf(() =>
        environment("protection:\n  deployment-branch-policy:\n    protected-branches: false\n"),
      )[0],
    ).toBe(
      "environments/production.yml:3 protection.deployment-branch-policy.protected-branches: expected true " +
        "(leave deployment-branch-policy out to let every branch deploy)",
    );
    expect(
      problemsOf(() =>
        environment("protection:\n  deployment-branch-policy:\n    custom: []\n"),
      )[0],
    ).toContain("protection.deployment-branch-policy.custom: expected at least one pattern");
    expect(
      problemsOf(() =>
        environment(
          "protection:\n  deployment-branch-policy:\n    custom: [{ name: main }, { name: main, type: branch }]\n",
        ),
      ),
    ).toEqual([
      "environments/production.yml:3 protection.deployment-branch-policy.custom: lists the same pattern twice",
    ]);
  });

  it("prevent-self-review needs reviewers once the layers are merged", () => {
    expect(problemsOf(() => declared("protection:\n  prevent-self-review: true\n"))).toEqual([
      "environments/production.yml:2 protection.prevent-self-review: " +
        "needs required-reviewers: GitHub keeps it on the required reviewers rule",
    ]);
    // Reviewers from base.yml count.
    expect(
      declared(
        "protection:\n  prevent-self-review: true\n",
        "protection:\n  required-reviewers: [mona]\n",
      ).preventSelfReview,
    ).toBe(true);
  });

  it("tells a team from a user by the slash", () => {
    expect(reviewerRef("octocat")).toEqual({ type: "User", login: "octocat" });
    expect(reviewerRef("octo-org/sre.oncall")).toEqual({
      type: "Team",
      org: "octo-org",
      slug: "sre.oncall",
    });
  });
});

describe("planning against the live settings", () => {
  const desired = declared(PRODUCTION);
  const inSync: LiveProtection = {
    waitTimer: 90,
    // Another order than the file's: order is not a setting.
    reviewers: [MONA, RELEASE_MANAGERS],
    preventSelfReview: true,
    branchPolicy: {
      kind: "custom",
      patterns: [
        { id: 3, name: "v*", type: "tag" },
        { id: 1, name: "main", type: "branch" },
        { id: 2, name: "release/*", type: "branch" },
      ],
    },
  };

  it("a missing environment is created with every declared rule", () => {
    const plan = planEnvironment(desired, [RELEASE_MANAGERS, MONA], undefined);
    expect(
      plan.changes.map(({ setting, live, desired: want, action, at }) => [
        setting,
        live,
        want,
        action,
        at.line,
      ]),
    ).toEqual([
      ["environment", "absent", "present", "create", 2],
      ["wait-timer", 0, 90, "create", 7],
      ["required-reviewers", [], ["octo-org/release-managers", "mona"], "create", 3],
      ["prevent-self-review", false, true, "create", 6],
      [
        "deployment-branch-policy",
        null,
        {
          custom: [
            { name: "main", type: "branch" },
            { name: "release/*", type: "branch" },
            { name: "v*", type: "tag" },
          ],
        },
        "create",
        8,
      ],
    ]);
    expect(writesFor(plan)).toEqual({
      put: {
        wait_timer: 90,
        prevent_self_review: true,
        reviewers: [
          { type: "Team", id: 42 },
          { type: "User", id: 7 },
        ],
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      },
      patterns: [
        { name: "main", type: "branch" },
        { name: "release/*", type: "branch" },
        { name: "v*", type: "tag" },
      ],
    });
  });

  it("in sync: every setting none, no write at all", () => {
    const plan = planEnvironment(desired, [RELEASE_MANAGERS, MONA], inSync);
    expect(plan.changes.map((change) => change.action)).toEqual(["none", "none", "none", "none"]);
    expect(drifted(plan)).toEqual([]);
    expect(writesFor(plan)).toEqual({ put: undefined, patterns: undefined });
  });

  it("reviewers are compared by id: a renamed user is the same reviewer", () => {
    const renamed = { ...inSync, reviewers: [{ ...MONA, name: "mona-renamed" }, RELEASE_MANAGERS] };
    expect(drifted(planEnvironment(desired, [RELEASE_MANAGERS, MONA], renamed))).toEqual([]);
  });

  it("only patterns differ: no PUT, just the pattern edits", () => {
    const live: LiveProtection = {
      ...inSync,
      branchPolicy: {
        kind: "custom",
        patterns: [
          { id: 1, name: "main", type: "branch" },
          { id: 9, name: "hotfix/*", type: "branch" },
        ],
      },
    };
    const plan = planEnvironment(desired, [RELEASE_MANAGERS, MONA], live);
    expect(drifted(plan).map((change) => [change.setting, change.action])).toEqual([
      ["deployment-branch-policy", "update"],
    ]);
    const writes = writesFor(plan);
    expect(writes.put).toBeUndefined();
    expect(
      patternEdits(
        live.branchPolicy.kind === "custom" ? live.branchPolicy.patterns : [],
        writes.patterns ?? [],
      ),
    ).toEqual({
      create: [
        { name: "release/*", type: "branch" },
        { name: "v*", type: "tag" },
      ],
      remove: [{ id: 9, name: "hotfix/*", type: "branch" }],
    });
  });

  it("a tag pattern is not the branch pattern of the same name", () => {
    expect(
      patternEdits([{ id: 1, name: "v*", type: "branch" }], [{ name: "v*", type: "tag" }]),
    ).toEqual({
      create: [{ name: "v*", type: "tag" }],
      remove: [{ id: 1, name: "v*", type: "branch" }],
    });
  });

  it("a wait timer change PUTs every rule, keeping the custom policy and leaving its patterns alone", () => {
    const plan = planEnvironment(desired, [RELEASE_MANAGERS, MONA], { ...inSync, waitTimer: 0 });
    expect(drifted(plan).map((change) => [change.setting, change.live, change.desired])).toEqual([
      ["wait-timer", 0, 90],
    ]);
    expect(writesFor(plan)).toMatchObject({
      put: {
        wait_timer: 90,
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      },
      patterns: undefined,
    });
  });

  it("from custom patterns to protected branches, and to every branch", () => {
    const protectedOnly = declared(
      "protection:\n  deployment-branch-policy:\n    protected-branches: true\n",
    );
    const live: LiveProtection = {
      ...inSync,
      reviewers: [],
      preventSelfReview: false,
      waitTimer: 0,
    };
    const plan = planEnvironment(protectedOnly, [], live);
    expect(drifted(plan).map((change) => [change.setting, change.desired])).toEqual([
      ["deployment-branch-policy", { "protected-branches": true }],
    ]);
    expect(writesFor(plan)).toEqual({
      put: {
        wait_timer: 0,
        prevent_self_review: false,
        reviewers: [],
        deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
      },
      patterns: undefined,
    });
    const anyBranch = planEnvironment(declared("protection: {}\n"), [], live);
    expect(writesFor(anyBranch).put?.deployment_branch_policy).toBeNull();
  });
});

describe("the report", () => {
  const desired = declared(PRODUCTION);
  const plan = planEnvironment(desired, [RELEASE_MANAGERS, MONA], {
    waitTimer: 0,
    reviewers: [MONA],
    preventSelfReview: false,
    branchPolicy: { kind: "protected-branches" },
  });

  it("formats each setting for people", () => {
    expect(formatValue({ setting: "wait-timer" }, 0)).toBe("none");
    expect(formatValue({ setting: "wait-timer" }, 90)).toBe("90 min");
    expect(formatValue({ setting: "required-reviewers" }, [])).toBe("none");
    expect(formatValue({ setting: "prevent-self-review" }, true)).toBe("yes");
    expect(formatValue({ setting: "deployment-branch-policy" }, null)).toBe("any branch");
    expect(
      formatValue({ setting: "deployment-branch-policy" }, { "protected-branches": true }),
    ).toBe("protected branches");
    expect(
      formatValue(
        { setting: "deployment-branch-policy" },
        {
          custom: [
            { name: "main", type: "branch" },
            { name: "v*", type: "tag" },
          ],
        },
      ),
    ).toBe("main, tag v*");
    expect(driftMessage(drifted(plan)[0]!)).toBe(
      "production: wait-timer is none on GitHub, declared 90 min",
    );
  });

  it("renders one table row per setting, and the drifted ones as JSON with their file and line", () => {
    const markdown = renderProtectionReport({
      action: "plan",
      repository: "octo-org/demo-api",
      plans: [plan],
      unmanaged: ["development"],
    });
    expect(markdown).toBe(
      [
        "### env-config protection: plan for `octo-org/demo-api`",
        "",
        "4 settings drifted from the environment files; `protection-action: apply` makes GitHub match.",
        "",
        "| Environment | Setting | Live | Desired | Action |",
        "| --- | --- | --- | --- | --- |",
        "| production | wait-timer | none | 90 min | update |",
        "| production | required-reviewers | mona | octo-org/release-managers, mona | update |",
        "| production | prevent-self-review | no | yes | update |",
        "| production | deployment-branch-policy | protected branches | `main`, `release/*`, tag `v*` | update |",
        "",
        "Not managed (no `protection` section): `development`.",
        "",
      ].join("\n"),
    );
    expect(changesJson([plan])[0]).toEqual({
      environment: "production",
      setting: "wait-timer",
      live: 0,
      desired: 90,
      action: "update",
      file: "environments/production.yml",
      line: 7,
    });
    const applied = new Set(drifted(plan).slice(0, 3));
    expect(
      changesJson([plan], applied).map((change) => (change as { applied: boolean }).applied),
    ).toEqual([true, true, true, false]);
    const stopped = renderProtectionReport({
      action: "apply",
      repository: "o/r",
      plans: [plan],
      unmanaged: [],
      applied,
      failure: "403",
    });
    expect(stopped).toContain("Apply stopped: 403");
    expect(stopped).toContain("| production | wait-timer | none | 90 min | updated |");
    expect(stopped).toContain(
      "| production | deployment-branch-policy | protected branches | `main`, `release/*`, tag `v*` | not applied |",
    );
  });
});
