// AWS compute in a plan: EC2 instances, auto scaling groups (through their launch templates or
// launch configurations), EKS node groups, and EBS volumes wherever they are declared.
import { UNKNOWN, type Attributes, type Unknown } from "./attributes.js";
import { type Mapped, orDefault, type MapContext } from "./components.js";

/** AWS creates a root volume from the AMI when the plan does not say: 8 GB, as Infracost assumes. */
const DEFAULT_ROOT_GB = 8;
const DEFAULT_VOLUME_TYPE = "gp2";
/** gp3 includes 3,000 IOPS; provisioned IOPS above that are billed. */
const GP3_FREE_IOPS = 3000;
/** EKS managed node groups without a launch template: 20 GB root volumes, t3.medium instances. */
const EKS_DEFAULT_DISK_GB = 20;
const EKS_DEFAULT_INSTANCE_TYPE = "t3.medium";

interface Volume {
  label: string;
  type: string | Unknown | undefined;
  size: number | Unknown | undefined;
  iops?: number | Unknown | undefined;
  /** Volumes of this spec: one per instance of a group. */
  count?: number;
  defaultSize?: number;
}

/** One EBS volume spec: its GB-months and, for io1/io2 and gp3 above 3,000, its IOPS-months. */
export function ebsVolume(mapped: Mapped, volume: Volume): void {
  const count = volume.count ?? 1;
  const typeKnown = volume.type !== UNKNOWN && volume.type !== undefined;
  const type = typeKnown ? (volume.type as string) : DEFAULT_VOLUME_TYPE;
  const assumed = typeKnown
    ? []
    : [`volume type ${volume.type === UNKNOWN ? "known after apply" : "not set"}, gp2 assumed`];
  let size = volume.size;
  if ((size === undefined || size === UNKNOWN) && volume.defaultSize !== undefined) {
    assumed.push(
      `size ${size === UNKNOWN ? "known after apply" : "not set"}, ${volume.defaultSize} GB assumed`,
    );
    size = volume.defaultSize;
  }
  const gb = mapped.need(volume.label, "volume_size", size);
  if (gb === undefined) return;
  const note = assumed.join("; ") || undefined;
  const storage = { count, unitText: "GB", ...(note ? { note } : {}) };
  mapped.perMonth(volume.label, "storage", `aws.ebs.${type}`, "GB-month", gb, storage);
  const iops = volume.iops === UNKNOWN ? undefined : volume.iops;
  const provisioned =
    type === "io1" || type === "io2"
      ? iops
      : type === "gp3" && iops !== undefined && iops > GP3_FREE_IOPS
        ? iops - GP3_FREE_IOPS
        : undefined;
  if (provisioned !== undefined && provisioned > 0) {
    mapped.perMonth(
      `${volume.label} IOPS`,
      "storage",
      `aws.ebs.${type}.iops`,
      "IOPS-month",
      provisioned,
      {
        count,
        unitText: "IOPS",
      },
    );
  }
}

export function awsInstance(values: Attributes, mapped: Mapped): void {
  const type = mapped.need("instance", "instance_type", values.text("instance_type"));
  if (type !== undefined) mapped.hourly("instance", "compute", `aws.ec2.${type}`);
  const root = values.at("root_block_device", 0);
  ebsVolume(mapped, {
    label: "root volume",
    type: root.text("volume_type"),
    size: root.number("volume_size"),
    iops: root.number("iops"),
    defaultSize: DEFAULT_ROOT_GB,
  });
  const devices = values.count("ebs_block_device");
  if (devices === UNKNOWN) {
    mapped.unpricedPart("ebs_block_device", "the block device list is known only after apply");
    return;
  }
  for (let index = 0; index < devices; index++) {
    const device = values.at("ebs_block_device", index);
    const name = device.text("device_name");
    ebsVolume(mapped, {
      label: `ebs_block_device ${typeof name === "string" ? name : index}`,
      type: device.text("volume_type"),
      size: device.number("volume_size"),
      iops: device.number("iops"),
    });
  }
}

export function awsEbsVolume(values: Attributes, mapped: Mapped): void {
  ebsVolume(mapped, {
    label: "volume",
    type: values.text("type"),
    size: values.number("size"),
    iops: values.number("iops"),
  });
}

/** The launch template (or configuration) an auto scaling group or node group runs. */
function launchTemplate(values: Attributes, context: MapContext): Attributes | undefined {
  const mixed = [
    "mixed_instances_policy",
    0,
    "launch_template",
    0,
    "launch_template_specification",
    0,
  ];
  return (
    context.related("aws_launch_template", ["launch_template", 0, "id"], "id") ??
    context.related("aws_launch_template", ["launch_template", 0, "name"], "name") ??
    context.related("aws_launch_template", [...mixed, "launch_template_id"], "id") ??
    context.related("aws_launch_template", [...mixed, "launch_template_name"], "name")
  );
}

/** Instances of a group: the usage file's `instances`, else the desired count, else the minimum. */
function groupSize(
  mapped: Mapped,
  context: MapContext,
  desired: number | Unknown | undefined,
  minimum: number | Unknown | undefined,
): number | undefined {
  const usage = context.usage.get("instances");
  if (usage) return Number(usage.text);
  const size = desired === undefined || desired === UNKNOWN ? minimum : desired;
  return mapped.need("instances", "desired_capacity", size);
}

/** The volumes a launch template gives each instance (`block_device_mappings`). */
function templateVolumes(template: Attributes, mapped: Mapped, count: number): void {
  const mappings = template.count("block_device_mappings");
  for (let index = 0; index < (mappings === UNKNOWN ? 0 : mappings); index++) {
    const mapping = template.at("block_device_mappings", index);
    const ebs = mapping.at("ebs", 0);
    if (ebs.values === undefined) continue;
    const device = mapping.text("device_name");
    ebsVolume(mapped, {
      label: `volume ${typeof device === "string" ? device : index}`,
      type: ebs.text("volume_type"),
      size: ebs.number("volume_size"),
      iops: ebs.number("iops"),
      count,
    });
  }
}

export function awsAutoscalingGroup(values: Attributes, mapped: Mapped, context: MapContext): void {
  const count = groupSize(
    mapped,
    context,
    values.number("desired_capacity"),
    values.number("min_size"),
  );
  if (count === undefined) return;
  const configuration = context.related(
    "aws_launch_configuration",
    ["launch_configuration"],
    "name",
  );
  const template = configuration ? undefined : launchTemplate(values, context);
  const override = values.text(
    "mixed_instances_policy",
    0,
    "launch_template",
    0,
    "override",
    0,
    "instance_type",
  );
  let type: string | Unknown | undefined =
    configuration?.text("instance_type") ?? template?.text("instance_type");
  let note: string | undefined;
  if (typeof override === "string") {
    type = override;
    note = "mixed instances: the first override's type priced for every instance";
  }
  if (!configuration && !template && typeof override !== "string") {
    mapped.unpricedPart(
      "instances",
      "no launch template or launch configuration of the plan found",
    );
    return;
  }
  const instanceType = mapped.need("instances", "instance_type", type);
  if (instanceType !== undefined)
    mapped.hourly("instances", "compute", `aws.ec2.${instanceType}`, count, note);
  if (template) templateVolumes(template, mapped, count);
  if (configuration) {
    const root = configuration.at("root_block_device", 0);
    ebsVolume(mapped, {
      label: "root volumes",
      type: root.text("volume_type"),
      size: root.number("volume_size"),
      iops: root.number("iops"),
      count,
      defaultSize: DEFAULT_ROOT_GB,
    });
  }
}

export function awsEksNodeGroup(values: Attributes, mapped: Mapped, context: MapContext): void {
  const scaling = values.at("scaling_config", 0);
  const count = groupSize(
    mapped,
    context,
    scaling.number("desired_size"),
    scaling.number("min_size"),
  );
  if (count === undefined) return;
  const template =
    values.count("launch_template") === 0 ? undefined : launchTemplate(values, context);
  const listed = values.text("instance_types", 0);
  const type = listed ?? template?.text("instance_type") ?? EKS_DEFAULT_INSTANCE_TYPE;
  const spot = values.text("capacity_type") === "SPOT";
  const instanceType = mapped.need("instances", "instance_types", type);
  if (instanceType !== undefined)
    mapped.hourly(
      "instances",
      "compute",
      `aws.ec2.${instanceType}`,
      count,
      spot ? "spot: priced at on-demand, an upper bound" : undefined,
    );
  if (template) {
    templateVolumes(template, mapped, count);
    return;
  }
  ebsVolume(mapped, {
    label: "node volumes",
    type: "gp2",
    size: orDefault(values.number("disk_size"), EKS_DEFAULT_DISK_GB),
    count,
  });
}
