// cost-report pricing Terraform plans through its bundle, as the runner runs it, on a pull_request
// event against the GitHub API stand-in: two plan projects and a usage file, without and with
// environment files, and plan mistakes. Figures are those hand-computed in
// test/cost/terraform-pricing.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  examplePayload,
  ROOT,
  runAction,
  type ActionResult,
} from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import {
  startGitHubStandIn,
  type GitHubStandIn,
  type JsonObject,
} from "../../tools/github-standin/index.js";

const REPO = "octo-org/infra";
const PR = 7;
const TOKEN = "ghs_costreport_terraform_51b2";
const WRITTEN = join(ROOT, "test", "fixtures", "terraform", "written");

let github: GitHubStandIn;
let ws: Workspace;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPO] });
});
afterAll(() => github.stop());
beforeEach(() => github.reset());
afterEach(async () => {
  expect(github.requestViolations).toEqual([]);
  expect(github.responseViolations).toEqual([]);
  await ws.remove();
});

function pullRequestEvent(baseSha: string): { name: string; payload: unknown } {
  const payload = examplePayload("pull_request", "opened") as JsonObject & {
    pull_request: JsonObject & { base: JsonObject; head: JsonObject };
  };
  payload.number = PR;
  payload.pull_request.number = PR;
  payload.pull_request.base = { ...payload.pull_request.base, sha: baseSha, ref: "main" };
  payload.pull_request.head = {
    ...payload.pull_request.head,
    sha: "b".repeat(40),
    ref: "bigger-fleet",
    repo: { ...(payload.pull_request.head.repo as JsonObject), full_name: REPO },
  };
  return { name: "pull_request", payload };
}

/** The app plan (instances, load balancers, RDS) and the platform plan (groups, EKS, usage). */
async function writePlans(): Promise<void> {
  const copy = async (from: string, to: string) =>
    ws.write(to, await readFile(join(WRITTEN, from), "utf8"));
  await copy("aws-changes.json", "terraform/app/plan.json");
  await copy("aws-groups-usage.json", "terraform/platform/plan.json");
  await copy("usage.yml", "terraform/usage.yml");
}

function run(inputs: Record<string, string>, baseSha = "c".repeat(40)): Promise<ActionResult> {
  return runAction({
    action: "cost-report",
    workspace: ws.dir,
    inputs: { mode: "pr", token: TOKEN, ...inputs },
    event: pullRequestEvent(baseSha),
    apiUrl: github.url,
    repository: REPO,
  });
}

const PLAN_INPUTS = {
  "terraform-plan": "terraform/*/plan.json",
  "usage-file": "terraform/usage.yml",
};
const comments = () => github.storedComments(REPO, PR);

describe("terraform-plan", () => {
  it("prices each plan as a project, by resource, in the comment and the report, with no environments", async () => {
    ws = await createWorkspace({ withExamples: false });
    await writePlans();
    const result = await run(PLAN_INPUTS);
    expect(result.exitCode).toBe(0);
    // app: 184.63 -> 358.02 (+173.39), with the usage file's data transfer (94.00 on both sides,
    //   priced once, with the first project): 278.63 -> 452.02
    // platform: 341.77 -> 852.20 without the data transfer: 247.77 -> 758.20 (+510.43)
    // in all: +173.39 + 510.43 = +683.82
    expect(result.outputs["total-monthly-delta"]).toBe("683.82");
    const report = JSON.parse(result.outputs.report ?? "");
    expect(
      report.environments.map((project: Record<string, unknown>) => [
        project.name,
        project.monthlyBefore,
        project.monthlyAfter,
        project.delta,
      ]),
    ).toEqual([
      ["terraform/app/plan.json", "278.63", "452.02", "173.39"],
      ["terraform/platform/plan.json", "247.77", "758.2", "510.43"],
    ]);
    const [app, platform] = report.terraform;
    expect(app).toMatchObject({
      name: "terraform/app/plan.json",
      terraformVersion: "1.9.8",
      actions: { create: 4, replace: 1, update: 2, delete: 2, "no-op": 1 },
      unpriced: [
        expect.objectContaining({ resource: "aws_sqs_queue.jobs", type: "aws_sqs_queue" }),
      ],
    });
    const byAddress = (project: { resources: { address: string }[] }, address: string) =>
      project.resources.find((resource) => resource.address === address);
    expect(byAddress(app, "aws_instance.worker")).toMatchObject({
      action: "replace",
      before: { monthly: "71.68" },
      after: { monthly: "141.76" },
      delta: "70.08",
    });
    expect(byAddress(app, "aws_data_transfer.egress")).toMatchObject({
      usageOnly: true,
      after: { monthly: "94" },
    });
    expect(byAddress(platform, "aws_autoscaling_group.web")).toMatchObject({ delta: "154.24" });
    expect(byAddress(platform, "aws_lambda_function.api")).toMatchObject({
      usage: "aws_lambda_function.api",
      after: { monthly: "4.4" },
    });

    expect(comments()).toHaveLength(1);
    const body = comments()[0]!.body;
    expect(body).toContain("+$683.82");
    expect(body).toContain("#### terraform/app/plan.json");
    expect(body).toContain("#### terraform/platform/plan.json");
    // The environment-style table: one row per priced line (its Change column is the report's own).
    expect(body).toMatch(
      /\| `compute\/aws_instance\.worker \(instance\)` \| [^|\n]+ \| \$70\.08 \| \$140\.16 \| \+\$70\.08 \|/,
    );
    expect(body).toContain("| `aws_instance.legacy` | delete | $70.88 | – | -$70.88 |");
    expect(body).toContain(
      "| `aws_autoscaling_group.web` | update | $98.30 | $252.54 | +$154.24 |",
    );
    expect(body).toContain("| `aws_eks_node_group.general` | create | – | $150.16 | +$150.16 |");
    expect(body).toContain(
      "`custom/aws_sqs_queue.jobs` type `aws_sqs_queue` (resource type not mapped",
    );
    expect(body).toContain("`custom/aws_lambda_function.cron (requests)`");
    expect(result.summary).toContain(
      "| `aws_instance.worker` | replace | $71.68 | $141.76 | +$70.08 |",
    );
    expect(body).toContain("1 resource(s) the plan leaves as they are: $4.44 a month.");
    expect(body).toContain(
      "From the usage file alone, the same before and after: `aws_data_transfer.egress` $94.00 a month.",
    );
    expect(body).toContain("usage from terraform/usage.yml");
    expect(result.lines.join("\n")).not.toContain(TOKEN);
  });

  it("prices plans beside the environment files, which keep their own comparison", async () => {
    ws = await createWorkspace();
    const git = (...args: string[]) =>
      execFileSync(
        "git",
        ["-C", ws.dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
        {
          encoding: "utf8",
        },
      ).trim();
    git("init", "-q", "-b", "main");
    git("add", "environments");
    git("commit", "-q", "-m", "base");
    await writePlans();
    const result = await run(
      { "terraform-plan": "terraform/app/plan.json" },
      git("rev-parse", "HEAD"),
    );
    expect(result.exitCode).toBe(0);
    // Environments unchanged; app without the usage file: +173.39 and no data transfer.
    expect(result.outputs["total-monthly-delta"]).toBe("173.39");
    const report = JSON.parse(result.outputs.report ?? "");
    expect(
      report.environments.map((entry: { name: string; delta: string }) => [
        entry.name,
        entry.delta,
      ]),
    ).toEqual([
      ["development", "0"],
      ["production", "0"],
      ["staging", "0"],
      ["terraform/app/plan.json", "173.39"],
    ]);
    expect(report.terraform).toHaveLength(1);
  });

  it("fails on a file that is not a plan, naming it, before any comment", async () => {
    ws = await createWorkspace({ withExamples: false });
    await ws.write("terraform/plan.json", '{"format_version":"1.0","values":{"root_module":{}}}');
    const result = await run({ "terraform-plan": "terraform/plan.json" });
    expect(result.exitCode).toBe(1);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "error",
        file: "terraform/plan.json",
        message: expect.stringContaining(
          "is a state (terraform show -json without a plan file), not a plan",
        ),
      }),
    );
    const missing = await run({ "terraform-plan": "plans/*.json" });
    expect(missing.exitCode).toBe(1);
    expect(missing.annotations.map((annotation) => annotation.message)).toContainEqual(
      expect.stringContaining("plans/*.json matches no file"),
    );
    expect(comments()).toHaveLength(0);
  });
});
