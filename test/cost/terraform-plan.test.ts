// Reading plan JSON as Terraform 0.12 to 1.9 write it (infracost's real plans, Apache-2.0, and
// shipgate's written ones): the setup-terraform wrapper's noise, modules, count and for_each
// instances, values known only after apply, data sources, and the mistakes a user can make.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import type { Catalog } from "../../src/cost/catalog.js";
import { loadDefaultCatalog } from "../../src/cost/defaults.js";
import { plainDecimal } from "../../src/cost/money.js";
import { Attributes, UNKNOWN } from "../../src/cost/terraform/attributes.js";
import { parsePlan, planAction } from "../../src/cost/terraform/plan.js";
import { pricePlan, type PlanProject } from "../../src/cost/terraform/price.js";
import { NO_USAGE, parseUsageFile, type UsageFile } from "../../src/cost/terraform/usage.js";
import { ConfigurationError } from "../../src/shared/errors.js";

const REAL = join(import.meta.dirname, "..", "fixtures", "terraform", "infracost");
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadDefaultCatalog();
});

const read = (file: string) => readFileSync(join(REAL, file), "utf8");
const price = (file: string, usage: UsageFile = NO_USAGE): PlanProject =>
  pricePlan(file, parsePlan(file, read(file)), catalog, usage);
const usageOf = (yaml: string) => parseUsageFile(parseYamlSource("usage.yml", yaml));
const monthly = (project: PlanProject, address: string) => {
  const found = project.resources.find((resource) => resource.address === address);
  return found?.after ? plainDecimal(found.after.monthly) : undefined;
};
const problems = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ConfigurationError");
};

describe("plan actions", () => {
  it("names Terraform's action lists as one word, and skips reads", () => {
    expect(planAction(["no-op"])).toBe("no-op");
    expect(planAction(["create"])).toBe("create");
    expect(planAction(["update"])).toBe("update");
    expect(planAction(["delete"])).toBe("delete");
    expect(planAction(["delete", "create"])).toBe("replace");
    expect(planAction(["create", "delete"])).toBe("replace");
    expect(planAction(["forget"])).toBe("forget");
    expect(planAction(["read"])).toBeUndefined();
  });
});

describe("attributes known only after apply", () => {
  it("reads after_unknown leaf by leaf and block by block", () => {
    const values = new Attributes(
      { a: null, b: [{ c: 1, d: null }], e: null },
      { a: true, b: [{ d: true }], e: [{ f: true }], g: true },
    );
    expect(values.read("a")).toBe(UNKNOWN);
    expect(values.number("b", 0, "c")).toBe(1);
    expect(values.read("b", 0, "d")).toBe(UNKNOWN);
    expect(values.read("g", 0, "h")).toBe(UNKNOWN);
    expect(values.read("missing")).toBeUndefined();
    expect(values.count("b")).toBe(1);
    expect(values.count("g")).toBe(UNKNOWN);
    expect(values.at("b", 0).read("d")).toBe(UNKNOWN);
  });
});

describe("infracost's real plans", () => {
  it("finds the plan inside hashicorp/setup-terraform's wrapper output", () => {
    // Line 1 is the command, line 2 the plan, then ::debug:: and ::set-output lines repeating it.
    expect(() => JSON.parse(read("aws-setup-terraform-wrapper.json"))).toThrow();
    const project = price("aws-setup-terraform-wrapper.json");
    expect(project.terraformVersion).toBe("1.0.11");
    // m5.4xlarge 0.768 × 730 = 560.64; root 50 GB, type known after apply -> gp2 0.10: 5.00;
    // io1 1,000 GB × 0.125 = 125.00 and 800 IOPS × 0.065 = 52.00; 742.64
    expect(monthly(project, "aws_instance.web_app")).toBe("742.64");
    const root = project.resources[0]!.after!.lines[1]!;
    expect(root).toMatchObject({ type: "aws.ebs.gp2", quantityText: "50 GB" });
    expect(root.note).toBe("volume type known after apply, gp2 assumed");
    expect(project.after.unpriced).toEqual([
      expect.objectContaining({
        name: "aws_lambda_function.hello_world (requests)",
        reason: "usage-based: set monthly_requests in the usage file",
      }),
    ]);
  });

  it("prices the same instance in the bare plan, and Lambda and S3 with usage", () => {
    const usage = usageOf(`
version: 0.1
resource_usage:
  aws_lambda_function.hello_world:
    monthly_requests: 1000000
    request_duration_ms: 250
  aws_s3_bucket.usage:
    standard:
      storage_gb: 10000
`);
    const project = price("aws-instance-lambda-s3.json", usage);
    expect(monthly(project, "aws_instance.web_app")).toBe("742.64");
    // hello_world, 1,024 MB x86: 1,000,000 × 0.0000002 = 0.20;
    //   1,000,000 × 0.25 s × 1 GB = 250,000 GB-s × 0.0000166667 = 4.166675 -> 4.17; 4.37
    expect(monthly(project, "aws_lambda_function.hello_world")).toBe("4.37");
    // 10,000 GB × 0.023 = 230.00 (no request figures given: none priced)
    expect(monthly(project, "aws_s3_bucket.usage")).toBe("230");
    expect(project.after.unpriced.map((item) => item.name)).toEqual([
      "aws_lambda_function.zero_cost_lambda (requests)",
    ]);
  });

  it("prices an in-place update of a plan made with -target from its before and after", () => {
    const project = price("aws-update-targeted.json");
    // aws_instance.web_app_2 is only in prior_state and configuration: not a change, not priced.
    expect(project.resources.map((resource) => resource.address)).toEqual([
      "aws_instance.web_app_1",
    ]);
    // before: t3.micro 7.59 + 10 GB gp2 × 0.10 = 1.00 -> 8.59
    // after: t3.small 0.0208 × 730 = 15.184 -> 15.18 + 1.00 -> 16.18 (+7.59)
    expect(project.resources[0]).toMatchObject({ action: "update", delta: 7_590_000_000_000n });
    expect(plainDecimal(project.before.total)).toBe("8.59");
    expect(plainDecimal(project.after.total)).toBe("16.18");
  });

  it("names count and for_each instances, and prices NAT data from a wildcard usage key", () => {
    const usage = usageOf(`
resource_usage:
  aws_nat_gateway.example_count[*]:
    monthly_data_processed_gb: 10
`);
    const project = price("aws-nat-gateway-count-foreach.json", usage);
    // count instances: 32.85 + 10 GB × 0.045 = 0.45 -> 33.30; for_each ones: 32.85, data unpriced
    expect(monthly(project, "aws_nat_gateway.example_count[0]")).toBe("33.3");
    expect(monthly(project, "aws_nat_gateway.example_count[1]")).toBe("33.3");
    expect(monthly(project, 'aws_nat_gateway.example_each["assets"]')).toBe("32.85");
    expect(project.resources.find((item) => item.address.endsWith("[1]"))?.usage).toBe(
      "aws_nat_gateway.example_count[*]",
    );
    expect(project.after.unpriced.map((item) => item.name)).toEqual([
      'aws_cloudwatch_log_group.production_logs["assets"]',
      'aws_cloudwatch_log_group.production_logs["media"]',
      'aws_nat_gateway.example_each["assets"] (data processed)',
      'aws_nat_gateway.example_each["media"] (data processed)',
    ]);
    // 2 × 33.30 + 2 × 32.85 = 132.30
    expect(plainDecimal(project.after.total)).toBe("132.3");
  });

  it("reads Terraform 0.12's plan: short provider names, an unknown block device list", () => {
    const project = price("aws-tf012-ebs-eip-nat.json");
    expect(project.formatVersion).toBe("0.1");
    // io1 15 GB × 0.125 = 1.875 -> 1.88 and 100 IOPS × 0.065 = 6.50; standard 15 GB × 0.05 = 0.75;
    // EIP 0.005 × 730 = 3.65; t3.micro 7.59 + root 15 GB gp2 (assumed) 1.50; NAT 32.85; 54.72
    expect(monthly(project, "aws_ebs_volume.storage_option_1")).toBe("8.38");
    expect(monthly(project, "aws_ebs_volume.storage_option_2")).toBe("0.75");
    expect(monthly(project, "aws_instance.web_app")).toBe("9.09");
    expect(plainDecimal(project.after.total)).toBe("54.72");
    expect(project.after.unpriced).toContainEqual(
      expect.objectContaining({
        name: "aws_instance.web_app (ebs_block_device)",
        reason: "the block device list is known only after apply",
      }),
    );
  });

  it("walks modules with count and for_each; data sources are not resources", () => {
    const project = price("aws-tf013-module-count-foreach.json");
    expect(project.resources).toHaveLength(15);
    expect(project.resources.some((item) => item.address.startsWith("data."))).toBe(false);
    // each web_app: t3.micro 7.59 + root 10 GB gp2 1.00 + xvdf 15 GB gp2 1.50 = 10.09
    expect(monthly(project, 'module.web_app["us-east-1f"].aws_instance.web_app')).toBe("10.09");
    // storage[n]: io1 20 GB × 0.125 = 2.50 (iops 0: none billed); standard 30 GB × 0.05 = 1.50
    expect(monthly(project, "module.storage[2].aws_ebs_volume.io1")).toBe("2.5");
    expect(monthly(project, "module.storage[2].aws_ebs_volume.standard")).toBe("1.5");
    // 6 × 10.09 + 3 × (2.50 + 1.50) = 72.54; the three snapshots are unpriced
    expect(plainDecimal(project.after.total)).toBe("72.54");
    expect(project.after.unpriced.map((item) => item.type)).toEqual([
      "aws_ebs_snapshot",
      "aws_ebs_snapshot",
      "aws_ebs_snapshot",
    ]);
  });

  it("lists every resource of three-deep modules it cannot price", () => {
    const project = price("aws-tf15-nested-modules-sqs.json");
    expect(project.after.unpriced).toHaveLength(20);
    expect(project.after.unpriced.map((item) => item.name)).toContain(
      "module.mymod_own.module.mysub_aliased.module.mysubsub_own.aws_sqs_queue.sqs_withTag_mysubsub_own",
    );
    expect(project.after.total).toBe(0n);
  });

  it("lists Azure firewalls and hubs as unpriced, networking glue as free", () => {
    const project = price("azure-firewall.json");
    expect([...new Set(project.after.unpriced.map((item) => item.type))]).toEqual([
      "azurerm_firewall",
      "azurerm_public_ip",
      "azurerm_virtual_hub",
      "azurerm_virtual_wan",
    ]);
    expect(project.resources.filter((item) => item.free).map((item) => item.type)).toEqual([
      "azurerm_resource_group",
      "azurerm_subnet",
      "azurerm_virtual_network",
    ]);
  });
});

describe("mistakes", () => {
  it("refuses a binary plan, a state, a newer format and text without JSON, naming the file", () => {
    expect(problems(() => parsePlan("plan.tfplan", "PK\u0003\u0004binary"))).toEqual([
      "plan.tfplan: is a binary plan file: give the output of `terraform show -json <planfile>`",
    ]);
    expect(problems(() => parsePlan("state.json", '{"format_version":"1.0","values":{}}'))).toEqual(
      ["state.json: is a state (terraform show -json without a plan file), not a plan"],
    );
    expect(
      problems(() => parsePlan("p.json", '{"format_version":"2.0","resource_changes":[]}')),
    ).toEqual([
      "p.json format_version: expected a plan format_version 0.x or 1.x (what terraform show -json writes)",
    ]);
    expect(problems(() => parsePlan("p.json", "Error: No configuration files\n"))).toEqual([
      "p.json: holds no plan JSON (the output of `terraform show -json <planfile>`)",
    ]);
  });

  it("takes a plan without changes as an empty project", () => {
    const plan = parsePlan("p.json", '{"format_version":"1.2","terraform_version":"1.9.8"}');
    expect(plan.resources).toEqual([]);
  });

  it("refuses usage figures that are not non-negative numbers, with file and line", () => {
    expect(
      problems(() =>
        usageOf(`version: 0.1
resource_usage:
  aws_lambda_function.api:
    monthly_requests: -5
    request_duration_ms: "fast"
    operating_system: linux
`),
      ),
    ).toEqual([
      'usage.yml:4 resource_usage["aws_lambda_function.api"].monthly_requests: expected a non-negative number',
      'usage.yml:5 resource_usage["aws_lambda_function.api"].request_duration_ms: expected a non-negative number',
    ]);
    expect(problems(() => usageOf("resource_usages: {}\n"))).toEqual([
      "usage.yml:1 resource_usages: unknown key (check its spelling and indentation)",
    ]);
  });

  it("takes a type's default usage when the address has none of its own", () => {
    const usage = usageOf(`
resource_type_default_usage:
  aws_lambda_function:
    monthly_requests: 100
resource_usage:
  aws_lambda_function.api:
    monthly_requests: 5
`);
    expect(
      usage.forResource("aws_lambda_function.api", "aws_lambda_function").get("monthly_requests")
        ?.text,
    ).toBe("5");
    const other = usage.forResource("aws_lambda_function.other", "aws_lambda_function");
    expect(other.get("monthly_requests")?.text).toBe("100");
    expect(other.source).toBe("aws_lambda_function (type default)");
  });
});
