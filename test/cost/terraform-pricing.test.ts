// Terraform plans priced by hand: every mapped type, every action (create, update, replace, delete,
// no-op), usage from the usage file, and what stays unpriced. Prices are the bundled catalog's
// (data/pricing/default.yml); each figure is worked out in a comment: hourly parts are
// count × 730 h × price, storage GB × price, and every line is rounded to the cent on its own.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import type { Catalog } from "../../src/cost/catalog.js";
import { loadDefaultCatalog } from "../../src/cost/defaults.js";
import { plainDecimal } from "../../src/cost/money.js";
import { parsePlan } from "../../src/cost/terraform/plan.js";
import {
  pricePlan,
  type PlanProject,
  type ResourceSideCost,
} from "../../src/cost/terraform/price.js";
import { NO_USAGE, parseUsageFile, type UsageFile } from "../../src/cost/terraform/usage.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "terraform");
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadDefaultCatalog();
});

const usageFile = (): UsageFile =>
  parseUsageFile(
    parseYamlSource("usage.yml", readFileSync(join(FIXTURES, "written", "usage.yml"), "utf8")),
  );

function price(file: string, usage: UsageFile = NO_USAGE): PlanProject {
  const text = readFileSync(join(FIXTURES, file), "utf8");
  return pricePlan(file, parsePlan(file, text), catalog, usage);
}

const side = (cost: ResourceSideCost | undefined) =>
  cost && {
    monthly: plainDecimal(cost.monthly),
    lines: cost.lines.map((line) => [
      line.name,
      line.type,
      line.quantityText,
      plainDecimal(line.monthly),
    ]),
    unpriced: cost.unpriced.map((item) => [item.name, item.reason]),
  };

/** One resource's action, sides and difference, money as plain decimals. */
function resource(project: PlanProject, address: string) {
  const found = project.resources.find((candidate) => candidate.address === address);
  if (!found) throw new Error(`${address} is not in ${project.name}`);
  return {
    action: found.action,
    before: side(found.before),
    after: side(found.after),
    delta: plainDecimal(found.delta),
  };
}

const totals = (project: PlanProject) => ({
  before: plainDecimal(project.before.total),
  after: plainDecimal(project.after.total),
});

describe("written plan: instances, load balancers, volumes and databases through every action", () => {
  let project: PlanProject;
  beforeAll(() => {
    project = price("written/aws-changes.json");
  });

  it("aws_instance updated in place: t3.micro -> t3.large, its gp3 root volume unchanged", () => {
    // before: 0.0104 × 730 = 7.592 -> 7.59; root 20 GB × 0.08 = 1.60; 9.19
    // after:  0.0832 × 730 = 60.736 -> 60.74; root 1.60; 62.34; difference +53.15
    expect(resource(project, "aws_instance.api")).toEqual({
      action: "update",
      before: {
        monthly: "9.19",
        lines: [
          ["aws_instance.api (instance)", "aws.ec2.t3.micro", "1 × 730 h", "7.59"],
          ["aws_instance.api (root volume)", "aws.ebs.gp3", "20 GB", "1.6"],
        ],
        unpriced: [],
      },
      after: {
        monthly: "62.34",
        lines: [
          ["aws_instance.api (instance)", "aws.ec2.t3.large", "1 × 730 h", "60.74"],
          ["aws_instance.api (root volume)", "aws.ebs.gp3", "20 GB", "1.6"],
        ],
        unpriced: [],
      },
      delta: "53.15",
    });
  });

  it("aws_instance deleted, replaced, and left as it is", () => {
    // legacy: m5.large 0.096 × 730 = 70.08; root gp2 8 GB × 0.10 = 0.80; 70.88 -> nothing
    expect(resource(project, "aws_instance.legacy")).toMatchObject({
      action: "delete",
      before: { monthly: "70.88" },
      after: undefined,
      delta: "-70.88",
    });
    // worker ([delete, create]): m5.large + 20 GB gp3 = 70.08 + 1.60 = 71.68
    //   -> m5.xlarge 0.192 × 730 = 140.16 + 1.60 = 141.76; +70.08
    expect(resource(project, "aws_instance.worker")).toMatchObject({
      action: "replace",
      before: { monthly: "71.68" },
      after: { monthly: "141.76" },
      delta: "70.08",
    });
    // bastion (no-op): t3.nano 0.0052 × 730 = 3.796 -> 3.80; root 8 GB gp3 × 0.08 = 0.64; 4.44
    expect(resource(project, "aws_instance.bastion")).toMatchObject({
      action: "no-op",
      before: { monthly: "4.44" },
      after: { monthly: "4.44" },
      delta: "0",
    });
  });

  it("aws_lb created: application and network load balancers by the hour", () => {
    // 0.0225 × 730 = 16.425 -> 16.43 (half away from zero), each
    for (const [address, key] of [
      ["aws_lb.public", "aws.elb.application"],
      ["aws_lb.internal", "aws.elb.network"],
    ]) {
      expect(resource(project, address!)).toEqual({
        action: "create",
        before: undefined,
        after: {
          monthly: "16.43",
          lines: [[`${address} (load balancer)`, key, "1 × 730 h", "16.43"]],
          unpriced: [],
        },
        delta: "16.43",
      });
    }
  });

  it("aws_ebs_volume in a for_each module, deleted: gp3 with IOPS above the 3,000 included", () => {
    // 100 GB × 0.08 = 8.00; (4,000 - 3,000) IOPS × 0.005 = 5.00; 13.00
    expect(resource(project, 'module.data["eu"].aws_ebs_volume.archive')).toEqual({
      action: "delete",
      before: {
        monthly: "13",
        lines: [
          ['module.data["eu"].aws_ebs_volume.archive (volume)', "aws.ebs.gp3", "100 GB", "8"],
          [
            'module.data["eu"].aws_ebs_volume.archive (volume IOPS)',
            "aws.ebs.gp3.iops",
            "1000 IOPS",
            "5",
          ],
        ],
        unpriced: [],
      },
      after: undefined,
      delta: "-13",
    });
  });

  it("aws_db_instance: a bigger class, more storage and Multi-AZ", () => {
    // before: postgres db.t3.micro 0.018 × 730 = 13.14; 20 GB gp2 × 0.115 = 2.30; 15.44
    // after: db.t3.medium 0.072 × 730 × 2 (Multi-AZ) = 105.12; 50 GB × 0.115 × 2 = 11.50; 116.62
    expect(resource(project, "aws_db_instance.main")).toEqual({
      action: "update",
      before: {
        monthly: "15.44",
        lines: [
          ["aws_db_instance.main (instance)", "aws.rds.postgres.db.t3.micro", "1 × 730 h", "13.14"],
          ["aws_db_instance.main (storage)", "aws.rds.gp2", "20 GB", "2.3"],
        ],
        unpriced: [],
      },
      after: {
        monthly: "116.62",
        lines: [
          [
            "aws_db_instance.main (instance)",
            "aws.rds.postgres.db.t3.medium",
            "2 × 730 h",
            "105.12",
          ],
          ["aws_db_instance.main (storage)", "aws.rds.gp2", "2 × 50 GB", "11.5"],
        ],
        unpriced: [],
      },
      delta: "101.18",
    });
  });

  it("lists an unknown type as unpriced, prices networking glue at nothing, skips data sources", () => {
    expect(resource(project, "aws_sqs_queue.jobs").after).toEqual({
      monthly: "0",
      lines: [],
      unpriced: [["aws_sqs_queue.jobs", "resource type not mapped to the pricing catalog"]],
    });
    expect(
      project.resources.find((item) => item.address === "aws_security_group.web"),
    ).toMatchObject({
      free: true,
      after: { lines: [], unpriced: [] },
    });
    expect(project.resources.map((item) => item.address)).not.toContain("data.aws_ami.ubuntu");
    expect(project.after.unpriced.map((item) => item.type)).toEqual(["aws_sqs_queue"]);
  });

  it("adds up the project from its resources", () => {
    // before: 9.19 + 70.88 + 71.68 + 4.44 + 13.00 + 15.44 = 184.63
    // after: 62.34 + 141.76 + 4.44 + 16.43 + 16.43 + 116.62 = 358.02 (+173.39)
    expect(totals(project)).toEqual({ before: "184.63", after: "358.02" });
  });
});

describe("written plan: groups, launch templates, node groups and usage", () => {
  let project: PlanProject;
  beforeAll(() => {
    project = price("written/aws-groups-usage.json", usageFile());
  });

  it("aws_autoscaling_group follows its launch template by id: 3 -> 4 instances, t3.medium -> t3.large", () => {
    // before: 3 × 730 × 0.0416 = 91.104 -> 91.10; 3 × 30 GB gp3 × 0.08 = 7.20; 98.30
    // after: 4 × 730 × 0.0832 = 242.944 -> 242.94; 4 × 30 × 0.08 = 9.60; 252.54 (+154.24)
    expect(resource(project, "aws_autoscaling_group.web")).toEqual({
      action: "update",
      before: {
        monthly: "98.3",
        lines: [
          ["aws_autoscaling_group.web (instances)", "aws.ec2.t3.medium", "3 × 730 h", "91.1"],
          ["aws_autoscaling_group.web (volume /dev/xvda)", "aws.ebs.gp3", "3 × 30 GB", "7.2"],
        ],
        unpriced: [],
      },
      after: {
        monthly: "252.54",
        lines: [
          ["aws_autoscaling_group.web (instances)", "aws.ec2.t3.large", "4 × 730 h", "242.94"],
          ["aws_autoscaling_group.web (volume /dev/xvda)", "aws.ebs.gp3", "4 × 30 GB", "9.6"],
        ],
        unpriced: [],
      },
      delta: "154.24",
    });
    // The launch template itself costs nothing: its instances are the group's.
    expect(resource(project, "aws_launch_template.web")).toMatchObject({ delta: "0" });
  });

  it("a new group finds its new launch template through the configuration's reference", () => {
    // desired_capacity known after apply -> min_size 2; c5.large: 2 × 730 × 0.085 = 124.10
    expect(resource(project, "aws_autoscaling_group.batch").after).toEqual({
      monthly: "124.1",
      lines: [
        ["aws_autoscaling_group.batch (instances)", "aws.ec2.c5.large", "2 × 730 h", "124.1"],
      ],
      unpriced: [],
    });
  });

  it("aws_eks_node_group: listed types and disk, or EKS's defaults (t3.medium, 20 GB)", () => {
    // general: 2 × 730 × 0.096 (m5.large) = 140.16; 2 × 50 GB gp2 × 0.10 = 10.00; 150.16
    expect(resource(project, "aws_eks_node_group.general").after?.monthly).toBe("150.16");
    // spot, 1 -> 3 nodes: 1 × 730 × 0.0416 = 30.368 -> 30.37 + 20 GB × 0.10 = 2.00 -> 32.37;
    //   3 × 730 × 0.0416 = 91.104 -> 91.10 + 3 × 20 × 0.10 = 6.00 -> 97.10 (+64.73)
    expect(resource(project, "aws_eks_node_group.spot")).toMatchObject({
      action: "update",
      before: { monthly: "32.37" },
      after: {
        monthly: "97.1",
        lines: [
          ["aws_eks_node_group.spot (instances)", "aws.ec2.t3.medium", "3 × 730 h", "91.1"],
          ["aws_eks_node_group.spot (node volumes)", "aws.ebs.gp2", "3 × 20 GB", "6"],
        ],
      },
      delta: "64.73",
    });
    const spot = project.resources.find((item) => item.address === "aws_eks_node_group.spot");
    expect(spot?.after?.lines[0]?.note).toBe("spot: priced at on-demand, an upper bound");
    // The control plane: 0.10 × 730 = 73.00, unchanged
    expect(resource(project, "aws_eks_cluster.main")).toMatchObject({
      after: { monthly: "73" },
      delta: "0",
    });
  });

  it("aws_lambda_function priced from usage: requests and arm64 GB-seconds", () => {
    // requests: 2,000,000 × 0.0000002 = 0.40
    // duration: 2,000,000 × 0.3 s × 0.5 GB = 300,000 GB-s × 0.0000133334 = 4.00002 -> 4.00
    expect(resource(project, "aws_lambda_function.api").after).toEqual({
      monthly: "4.4",
      lines: [
        ["aws_lambda_function.api (requests)", "aws.lambda.requests", "2000000 request", "0.4"],
        ["aws_lambda_function.api (duration)", "aws.lambda.duration.arm64", "300000 GB-s", "4"],
      ],
      unpriced: [],
    });
    // Without usage, nothing is guessed: listed as unpriced, naming the key to set.
    expect(resource(project, "aws_lambda_function.cron").after).toEqual({
      monthly: "0",
      lines: [],
      unpriced: [
        [
          "aws_lambda_function.cron (requests)",
          "usage-based: set monthly_requests in the usage file",
        ],
      ],
    });
  });

  it("aws_s3_bucket priced from usage: storage and both request tiers", () => {
    // 500 GB × 0.023 = 11.50; 100,000 × 0.000005 = 0.50; 2,000,000 × 0.0000004 = 0.80; 12.80
    expect(resource(project, "aws_s3_bucket.assets").after).toEqual({
      monthly: "12.8",
      lines: [
        ["aws_s3_bucket.assets (standard storage)", "aws.s3.standard", "500 GB-month", "11.5"],
        [
          "aws_s3_bucket.assets (PUT, COPY, POST, LIST requests)",
          "aws.s3.standard.tier1-requests",
          "100000 request",
          "0.5",
        ],
        [
          "aws_s3_bucket.assets (GET, SELECT and other requests)",
          "aws.s3.standard.tier2-requests",
          "2000000 request",
          "0.8",
        ],
      ],
      unpriced: [],
    });
  });

  it("aws_nat_gateway hours and data processed; usage-only data transfer", () => {
    // 0.045 × 730 = 32.85; 250 GB × 0.045 = 11.25; 44.10 on both sides
    expect(resource(project, "aws_nat_gateway.main")).toMatchObject({
      action: "no-op",
      before: { monthly: "44.1" },
      after: {
        monthly: "44.1",
        lines: [
          ["aws_nat_gateway.main (gateway)", "aws.vpc.nat-gateway", "1 × 730 h", "32.85"],
          ["aws_nat_gateway.main (data processed)", "aws.vpc.nat-gateway.data", "250 GB", "11.25"],
        ],
      },
      delta: "0",
    });
    // 1,000 GB × 0.09 = 90.00; 200 GB × 0.02 = 4.00; 94.00, the same before and after
    expect(resource(project, "aws_data_transfer.egress")).toMatchObject({
      before: { monthly: "94" },
      after: { monthly: "94" },
      delta: "0",
    });
  });

  it("adds up the project", () => {
    // before: 98.30 + 32.37 + 44.10 + 94.00 + 73.00 = 341.77
    // after: 252.54 + 124.10 + 150.16 + 97.10 + 4.40 + 12.80 + 44.10 + 94.00 + 73.00 = 852.20
    expect(totals(project)).toEqual({ before: "341.77", after: "852.2" });
  });
});

describe("written plan: Google Cloud and Azure", () => {
  let project: PlanProject;
  beforeAll(() => {
    project = price("written/gcp-azure.json");
  });

  it("google_compute_instance: machine type and boot disk; GPUs listed as unpriced", () => {
    // web: e2-medium 0.033503 × 730 = 24.45719 -> 24.46; 20 GB pd-balanced × 0.10 = 2.00; 26.46
    //   -> e2-standard-2 0.067006 × 730 = 48.91438 -> 48.91; 2.00; 50.91 (+24.45)
    expect(resource(project, "google_compute_instance.web")).toMatchObject({
      action: "update",
      before: { monthly: "26.46" },
      after: { monthly: "50.91" },
      delta: "24.45",
    });
    // batch: n2-standard-4 0.194236 × 730 = 141.79228 -> 141.79; size known after apply: 10 GB
    //   pd-standard × 0.04 = 0.40; 142.19, and its GPU unpriced
    expect(resource(project, "google_compute_instance.batch").after).toEqual({
      monthly: "142.19",
      lines: [
        [
          "google_compute_instance.batch (instance)",
          "gcp.compute.n2-standard-4",
          "1 × 730 h",
          "141.79",
        ],
        ["google_compute_instance.batch (boot disk)", "gcp.pd.standard", "10 GB", "0.4"],
      ],
      unpriced: [
        [
          "google_compute_instance.batch (guest accelerators)",
          "GPUs are not in the pricing catalog",
        ],
      ],
    });
  });

  it("azurerm_linux_virtual_machine replaced ([create, delete]): size and OS disk tier", () => {
    // before: B2s 0.0416 × 730 = 30.368 -> 30.37; Premium_LRS, size from the image (30 GB) -> P4 5.28; 35.65
    // after: D2s_v5 0.096 × 730 = 70.08; StandardSSD_LRS 64 GB -> E6 4.80; 74.88 (+39.23)
    expect(resource(project, "azurerm_linux_virtual_machine.app")).toEqual({
      action: "replace",
      before: {
        monthly: "35.65",
        lines: [
          [
            "azurerm_linux_virtual_machine.app (virtual machine)",
            "azure.vm.B2s",
            "1 × 730 h",
            "30.37",
          ],
          [
            "azurerm_linux_virtual_machine.app (OS disk)",
            "azure.disk.premium-ssd.P4",
            "1 × 1 month",
            "5.28",
          ],
        ],
        unpriced: [],
      },
      after: {
        monthly: "74.88",
        lines: [
          [
            "azurerm_linux_virtual_machine.app (virtual machine)",
            "azure.vm.D2s_v5",
            "1 × 730 h",
            "70.08",
          ],
          [
            "azurerm_linux_virtual_machine.app (OS disk)",
            "azure.disk.standard-ssd.E6",
            "1 × 1 month",
            "4.8",
          ],
        ],
        unpriced: [],
      },
      delta: "39.23",
    });
  });

  it("adds up the project; an unknown Google type is unpriced", () => {
    // before: 26.46 + 35.65 = 62.11; after: 50.91 + 142.19 + 74.88 = 267.98
    expect(totals(project)).toEqual({ before: "62.11", after: "267.98" });
    expect(project.after.unpriced.map((item) => item.name)).toEqual([
      "google_compute_instance.batch (guest accelerators)",
      "google_sql_database_instance.db",
    ]);
  });
});
