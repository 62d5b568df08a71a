// Google Cloud and Azure virtual machines and their disks in a plan.
import { UNKNOWN, type Attributes } from "./attributes.js";
import { type Mapped, orDefault } from "./components.js";

/** A boot disk without initialize_params.size is 10 GB (Compute Engine's default image size). */
const GCP_DEFAULT_BOOT_GB = 10;
/** Linux marketplace images give a 30 GB OS disk when disk_size_gb is not set. */
const AZURE_DEFAULT_OS_DISK_GB = 30;

/** `pd-balanced` -> `gcp.pd.balanced`. */
function gcpDisk(mapped: Mapped, label: string, type: unknown, size: unknown, note?: string): void {
  const diskType = mapped.need(label, "type", type as string | typeof UNKNOWN | undefined);
  const gb = mapped.need(label, "size", size as number | typeof UNKNOWN | undefined);
  if (diskType === undefined || gb === undefined) return;
  mapped.perMonth(label, "storage", `gcp.pd.${diskType.replace(/^pd-/, "")}`, "GB-month", gb, {
    unitText: "GB",
    ...(note ? { note } : {}),
  });
}

export function googleComputeInstance(values: Attributes, mapped: Mapped): void {
  const machine = mapped.need("instance", "machine_type", values.text("machine_type"));
  const scheduling = values.at("scheduling", 0);
  const spot =
    scheduling.boolean("preemptible") === true || scheduling.text("provisioning_model") === "SPOT";
  if (machine !== undefined)
    mapped.hourly(
      "instance",
      "compute",
      `gcp.compute.${machine}`,
      1,
      spot ? "spot: priced at on-demand, an upper bound" : undefined,
    );
  const params = values.at("boot_disk", 0, "initialize_params", 0);
  const size = params.number("size");
  gcpDisk(
    mapped,
    "boot disk",
    orDefault(params.text("type"), "pd-standard"),
    size === undefined || size === UNKNOWN ? GCP_DEFAULT_BOOT_GB : size,
    size === undefined || size === UNKNOWN
      ? `size from the image, ${GCP_DEFAULT_BOOT_GB} GB assumed`
      : undefined,
  );
  const accelerators = values.count("guest_accelerator");
  if (accelerators === UNKNOWN || accelerators > 0)
    mapped.unpricedPart("guest accelerators", "GPUs are not in the pricing catalog");
  const scratch = values.count("scratch_disk");
  if (scratch === UNKNOWN || scratch > 0)
    mapped.unpricedPart("scratch disks", "local SSDs are not in the pricing catalog");
}

export function googleComputeDisk(values: Attributes, mapped: Mapped): void {
  gcpDisk(mapped, "disk", orDefault(values.text("type"), "pd-standard"), values.number("size"));
}

/** Azure managed disks are billed per size tier, not per GB: the smallest tier that holds the disk. */
const DISK_TIERS: [number, string][] = [
  [32, "4"],
  [64, "6"],
  [128, "10"],
  [256, "15"],
  [512, "20"],
  [1024, "30"],
];
const DISK_KINDS: Record<string, [string, string]> = {
  Premium_LRS: ["premium-ssd", "P"],
  StandardSSD_LRS: ["standard-ssd", "E"],
  Standard_LRS: ["standard-hdd", "S"],
};

function azureDisk(mapped: Mapped, label: string, disk: Attributes, defaultGb?: number): void {
  const account = mapped.need(label, "storage_account_type", disk.text("storage_account_type"));
  if (account === undefined) return;
  const kind = DISK_KINDS[account];
  if (!kind) {
    mapped.unpricedPart(label, `storage_account_type ${account} is not mapped`);
    return;
  }
  let size = disk.number("disk_size_gb");
  let note: string | undefined;
  if ((size === undefined || size === UNKNOWN) && defaultGb !== undefined) {
    note = `size from the image, ${defaultGb} GB assumed`;
    size = defaultGb;
  }
  const gb = mapped.need(label, "disk_size_gb", size);
  if (gb === undefined) return;
  const tier = DISK_TIERS.find(([limit]) => gb <= limit);
  if (!tier) {
    mapped.unpricedPart(label, `disks over 1,024 GB are not in the pricing catalog`);
    return;
  }
  const [prefix, letter] = kind;
  const tierNote = `${gb} GB: tier ${letter}${tier[1]} (up to ${tier[0]} GB)`;
  mapped.monthly(
    label,
    "storage",
    `azure.disk.${prefix}.${letter}${tier[1]}`,
    1,
    [note, tierNote].filter(Boolean).join("; "),
  );
}

export function azurermLinuxVirtualMachine(values: Attributes, mapped: Mapped): void {
  const size = mapped.need("virtual machine", "size", values.text("size"));
  const spot = values.text("priority") === "Spot";
  if (size !== undefined)
    mapped.hourly(
      "virtual machine",
      "compute",
      `azure.vm.${size.replace(/^Standard_/, "")}`,
      1,
      spot ? "spot: priced at on-demand, an upper bound" : undefined,
    );
  azureDisk(mapped, "OS disk", values.at("os_disk", 0), AZURE_DEFAULT_OS_DISK_GB);
}

export function azurermManagedDisk(values: Attributes, mapped: Mapped): void {
  azureDisk(mapped, "disk", values);
}
