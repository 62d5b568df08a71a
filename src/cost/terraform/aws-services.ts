// AWS services in a plan priced per hour or from the usage file: RDS, load balancers, NAT gateways,
// S3, Lambda, EKS control planes, public IPv4 addresses, and usage-only data transfer.
import { ONE } from "../money.js";
import { formatRatio } from "../pricing.js";
import type { Attributes } from "./attributes.js";
import { type Mapped, orDefault, type MapContext } from "./components.js";
import type { UsageKey } from "./usage.js";

const LB_TYPES: Record<string, string> = {
  application: "aws.elb.application",
  network: "aws.elb.network",
  gateway: "aws.elb.gateway",
};

/** A usage-priced part: priced from the usage file, or listed as unpriced naming the key to set. */
function fromUsage(
  mapped: Mapped,
  context: MapContext,
  part: { label: string; key: string; unit: "GB" | "request" | "GB-month"; path: string[] },
): void {
  const figure = context.usage.get(...part.path);
  if (figure) {
    const kind = part.unit === "GB-month" ? "storage" : "custom";
    mapped.usage(part.label, kind, part.key, part.unit, figure);
  } else {
    mapped.unpricedPart(part.label, `usage-based: set ${part.path.join(".")} in the usage file`);
  }
}

export function awsDbInstance(values: Attributes, mapped: Mapped): void {
  const engine = mapped.need("instance", "engine", values.text("engine"));
  const instanceClass = mapped.need("instance", "instance_class", values.text("instance_class"));
  const multiAz = values.boolean("multi_az") === true;
  const copies = multiAz ? 2 : 1;
  const note = multiAz ? "Multi-AZ: a standby priced as a second instance" : undefined;
  if (engine !== undefined && instanceClass !== undefined)
    mapped.hourly("instance", "databases", `aws.rds.${engine}.${instanceClass}`, copies, note);
  const storageType = orDefault(values.text("storage_type"), "gp2");
  const type = mapped.need("storage", "storage_type", storageType);
  const gb = mapped.need("storage", "allocated_storage", values.number("allocated_storage"));
  if (type === undefined || gb === undefined) return;
  mapped.perMonth("storage", "storage", `aws.rds.${type}`, "GB-month", gb, {
    count: copies,
    unitText: "GB",
    ...(note ? { note } : {}),
  });
  const iops = values.number("iops");
  if (type === "io1" && typeof iops === "number" && iops > 0)
    mapped.perMonth("storage IOPS", "storage", "aws.rds.io1.iops", "IOPS-month", iops, {
      count: copies,
      unitText: "IOPS",
    });
}

export function awsLb(values: Attributes, mapped: Mapped): void {
  const type = mapped.need(
    "load balancer",
    "load_balancer_type",
    orDefault(values.text("load_balancer_type"), "application"),
  );
  if (type === undefined) return;
  const key = LB_TYPES[type];
  if (!key) {
    mapped.unpricedPart("load balancer", `load_balancer_type ${type} is not mapped`);
    return;
  }
  mapped.hourly("load balancer", "load-balancers", key, 1, "capacity units (LCUs) not priced");
}

export function awsNatGateway(values: Attributes, mapped: Mapped, context: MapContext): void {
  mapped.hourly("gateway", "load-balancers", "aws.vpc.nat-gateway");
  fromUsage(mapped, context, {
    label: "data processed",
    key: "aws.vpc.nat-gateway.data",
    unit: "GB",
    path: ["monthly_data_processed_gb"],
  });
}

export function awsS3Bucket(_values: Attributes, mapped: Mapped, context: MapContext): void {
  fromUsage(mapped, context, {
    label: "standard storage",
    key: "aws.s3.standard",
    unit: "GB-month",
    path: ["standard", "storage_gb"],
  });
  if (!context.usage.has("standard")) return;
  const requests: [string, UsageKey, string][] = [
    ["PUT, COPY, POST, LIST requests", "monthly_tier_1_requests", "aws.s3.standard.tier1-requests"],
    ["GET, SELECT and other requests", "monthly_tier_2_requests", "aws.s3.standard.tier2-requests"],
  ];
  for (const [label, usageKey, key] of requests) {
    const figure = context.usage.get("standard", usageKey);
    if (figure) mapped.usage(label, "custom", key, "request", figure);
  }
}

/** Lambda: requests, and GB-seconds of requests × duration × memory (x86_64 or arm64 prices). */
export function awsLambdaFunction(values: Attributes, mapped: Mapped, context: MapContext): void {
  const memory = mapped.need(
    "duration",
    "memory_size",
    orDefault(values.number("memory_size"), 128),
  );
  // Unset, architectures is computed (known after apply) and AWS's default, x86_64.
  const listed = values.text("architectures", 0);
  const architecture = typeof listed === "string" ? listed : "x86_64";
  fromUsage(mapped, context, {
    label: "requests",
    key: "aws.lambda.requests",
    unit: "request",
    path: ["monthly_requests"],
  });
  const requests = context.usage.get("monthly_requests");
  const duration = context.usage.get("request_duration_ms");
  if (!requests) return;
  if (!duration) {
    mapped.unpricedPart("duration", "usage-based: set request_duration_ms in the usage file");
    return;
  }
  if (memory === undefined) return;
  // requests × ms × MB / (1,000 ms/s × 1,024 MB/GB); both figures are in pico-units.
  const quantity = {
    numerator: requests.amount * duration.amount * BigInt(memory),
    denominator: ONE * ONE * 1_024_000n,
  };
  mapped.components.push({
    label: "duration",
    kind: "custom",
    key: `aws.lambda.duration.${architecture}`,
    unit: "GB-second",
    quantity,
    quantityText: `${formatRatio(quantity)} GB-s`,
    note: `${requests.text} requests × ${duration.text} ms × ${memory} MB`,
  });
}

export function awsEksCluster(_values: Attributes, mapped: Mapped): void {
  mapped.hourly("control plane", "compute", "aws.eks.cluster");
}

export function awsEip(_values: Attributes, mapped: Mapped): void {
  mapped.hourly("public IPv4 address", "custom", "aws.vpc.public-ipv4");
}

/** `aws_data_transfer.<name>` exists only in the usage file (as in Infracost): GB a month out. */
export function awsDataTransfer(_values: Attributes, mapped: Mapped, context: MapContext): void {
  const parts: [string, UsageKey, string][] = [
    ["to the internet", "monthly_outbound_internet_gb", "aws.data-transfer.internet-out"],
    ["to other regions", "monthly_outbound_other_regions_gb", "aws.data-transfer.inter-region"],
  ];
  for (const [label, usageKey, key] of parts) {
    const figure = context.usage.get(usageKey);
    if (figure) mapped.usage(label, "custom", key, "GB", figure);
  }
}
