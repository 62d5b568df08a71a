// Plan projects in the pull request report: compared like environments (so totals, headline and
// tables count them), a by-resource section with Terraform's actions, and the report JSON.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDefaultCatalog } from "../../src/cost/defaults.js";
import { plainDecimal } from "../../src/cost/money.js";
import { buildPullRequestReport, renderPullRequestReport } from "../../src/cost/pr-report.js";
import { parsePlan } from "../../src/cost/terraform/plan.js";
import { pricePlan, type PlanProject } from "../../src/cost/terraform/price.js";
import {
  planProjectsJson,
  projectComparison,
  withPlanSections,
} from "../../src/cost/terraform/report.js";
import { NO_USAGE } from "../../src/cost/terraform/usage.js";

const FILE = "written/aws-changes.json";
let project: PlanProject;
beforeAll(async () => {
  const text = readFileSync(join(import.meta.dirname, "..", "fixtures", "terraform", FILE), "utf8");
  project = pricePlan(FILE, parsePlan(FILE, text), await loadDefaultCatalog(), NO_USAGE);
});

describe("a plan project in the report", () => {
  it("is compared line by line like an environment, before and after from the plan", () => {
    const comparison = projectComparison(project);
    // Figures of test/cost/terraform-pricing.test.ts: 184.63 -> 358.02
    expect(comparison).toMatchObject({ name: FILE, production: false, percent: 93.9 });
    expect(plainDecimal(comparison.delta)).toBe("173.39");
    const changes = Object.fromEntries(
      comparison.changes.map((change) => [change.key, [change.change, plainDecimal(change.delta)]]),
    );
    expect(changes).toEqual({
      "databases/aws_db_instance.main (instance)": ["changed", "91.98"], // 105.12 - 13.14
      "storage/aws_db_instance.main (storage)": ["changed", "9.2"], // 11.50 - 2.30
      "compute/aws_instance.worker (instance)": ["changed", "70.08"], // 140.16 - 70.08
      "compute/aws_instance.api (instance)": ["changed", "53.15"], // 60.74 - 7.59
      "load-balancers/aws_lb.internal (load balancer)": ["added", "16.43"],
      "load-balancers/aws_lb.public (load balancer)": ["added", "16.43"],
      "storage/aws_instance.legacy (root volume)": ["removed", "-0.8"],
      'storage/module.data["eu"].aws_ebs_volume.archive (volume IOPS)': ["removed", "-5"],
      'storage/module.data["eu"].aws_ebs_volume.archive (volume)': ["removed", "-8"],
      "compute/aws_instance.legacy (instance)": ["removed", "-70.08"],
    });
    expect(comparison.unpriced.map((item) => item.name)).toEqual(["aws_sqs_queue.jobs"]);
  });

  it("renders a by-resource section before the report's footer", () => {
    const comparison = projectComparison(project);
    const report = buildPullRequestReport([comparison], [], undefined, ["catalog"]);
    const markdown = withPlanSections(renderPullRequestReport(report), [project]);
    expect(markdown).toContain(`#### ${FILE}`);
    const section = markdown.slice(markdown.indexOf("<details><summary>Terraform plan"));
    expect(section).toContain(
      "Terraform plan `written/aws-changes.json` by resource: " +
        "4 to create, 1 to replace, 2 to update, 2 to destroy, 1 unchanged",
    );
    expect(section).toContain("| `aws_instance.worker` | replace | $71.68 | $141.76 | +$70.08 |");
    expect(section).toContain("| `aws_instance.legacy` | delete | $70.88 | – | -$70.88 |");
    expect(section).toContain("| `aws_sqs_queue.jobs` | create | – | unpriced | $0.00 |");
    expect(section).not.toContain("aws_security_group.web");
    expect(section).toContain("1 resource(s) the plan leaves as they are: $4.44 a month.");
    expect(markdown.trimEnd().split("\n").at(-1)).toMatch(/^<sub>/);
  });

  it("is in the report JSON by resource, with every line and money as decimal strings", () => {
    const [json] = planProjectsJson([project]) as Record<string, unknown>[];
    expect(json).toMatchObject({
      name: FILE,
      formatVersion: "1.2",
      terraformVersion: "1.9.8",
      monthlyBefore: "184.63",
      monthlyAfter: "358.02",
      delta: "173.39",
      actions: { create: 4, replace: 1, update: 2, delete: 2, "no-op": 1 },
      unpriced: [
        {
          resource: "aws_sqs_queue.jobs",
          type: "aws_sqs_queue",
          reason: "resource type not mapped to the pricing catalog",
        },
      ],
    });
    const resources = json!.resources as Record<string, unknown>[];
    expect(resources.find((item) => item.address === "aws_instance.worker")).toEqual({
      address: "aws_instance.worker",
      type: "aws_instance",
      action: "replace",
      before: {
        monthly: "71.68",
        lines: [
          {
            resource: "aws_instance.worker (instance)",
            type: "aws.ec2.m5.large",
            quantity: "1 × 730 h",
            unitPrice: "0.096",
            unit: "hour",
            monthly: "70.08",
          },
          {
            resource: "aws_instance.worker (root volume)",
            type: "aws.ebs.gp3",
            quantity: "20 GB",
            unitPrice: "0.08",
            unit: "GB-month",
            monthly: "1.6",
          },
        ],
        unpriced: [],
      },
      after: expect.objectContaining({ monthly: "141.76" }),
      delta: "70.08",
    });
    expect(resources.find((item) => item.address === "aws_security_group.web")).toMatchObject({
      free: true,
    });
  });
});
