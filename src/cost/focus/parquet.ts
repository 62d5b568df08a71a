// Reads a FOCUS Parquet export into the digest ledger with hyparquet, one row group at a time and
// only the needed columns, so memory stays bounded by the largest row group.
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
} from "hyparquet";
import { ConfigurationError } from "../../shared/errors.js";
import { amountFromNumber, ONE, parseAmount, type Amount } from "../money.js";
import { FLAG_COMPUTE, FLAG_ON_DEMAND, type DigestLedger } from "../digest/ledger.js";
import {
  FOCUS_COLUMNS,
  requireFocusColumns,
  type FocusColumn,
  type TagResolver,
  UNKNOWN,
} from "./columns.js";
import type { ReadSummary } from "./csv.js";

/** Where each FOCUS column sits in the rows hyparquet returns; -1 for a column the file lacks. */
type RowLayout = Record<FocusColumn, number>;

export async function readFocusParquet(
  file: string,
  displayName: string,
  ledger: DigestLedger,
  tags: TagResolver,
): Promise<ReadSummary> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await readMetadata(buffer, displayName);
  const names = parquetSchema(metadata).children.map((child) => child.element.name);
  const located = requireFocusColumns(names, { file: displayName }, "schema");
  const columns = FOCUS_COLUMNS.filter((_, code) => located.index[code]! >= 0);
  const layout = Object.fromEntries(
    FOCUS_COLUMNS.map((name) => [name, columns.indexOf(name)]),
  ) as RowLayout;
  let record = 0;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = groupStart + Number(group.num_rows);
    const rows = await new Promise<unknown[][]>((resolve, reject) => {
      parquetRead({
        file: buffer,
        metadata,
        columns,
        rowStart: groupStart,
        rowEnd,
        onComplete: (data) => resolve(data as unknown[][]),
      }).catch(reject);
    });
    groupStart = rowEnd;
    for (const row of rows) addRow(ledger, tags, row, layout, ++record);
  }
  return { file: displayName, records: record, missingOptional: located.missingOptional };
}

async function readMetadata(buffer: AsyncBuffer, displayName: string): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new ConfigurationError({
      at: { file: displayName },
      message: `is not a Parquet file hyparquet can read: ${(error as Error).message}`,
    });
  }
}

/** One row into the ledger, or into its problems with the row's record number. */
function addRow(
  ledger: DigestLedger,
  tags: TagResolver,
  row: unknown[],
  at: RowLayout,
  record: number,
): void {
  ledger.rows++;
  const cell = (position: number): unknown => (position < 0 ? undefined : row[position]);
  const billed = costOf(cell(at.BilledCost));
  if (billed === undefined)
    return ledger.problems.add("BilledCost is empty or not a number", record);
  const effective = costOf(cell(at.EffectiveCost));
  if (effective === undefined)
    return ledger.problems.add("EffectiveCost is empty or not a number", record);
  const time = timeOf(cell(at.ChargePeriodStart));
  if (time === undefined)
    return ledger.problems.add("ChargePeriodStart is not a date and time", record);
  const currency = cell(at.BillingCurrency);
  const named = typeof currency === "string" && currency !== "" ? currency : undefined;
  if (!ledger.acceptCurrency(named, record)) return;
  const subAccount = textOf(cell(at.SubAccountId));
  if (!ledger.subAccountNames.has(subAccount) && at.SubAccountName >= 0)
    ledger.subAccountNames.set(subAccount, textOf(cell(at.SubAccountName)));
  const rawTags = cell(at.Tags);
  const environment =
    typeof rawTags === "string"
      ? tags.resolve(rawTags, false)
      : tags.resolveObject(
          rawTags && typeof rawTags === "object" ? (rawTags as Record<string, unknown>) : undefined,
        );
  const day = Math.floor(time / 86_400_000);
  ledger.add(
    day,
    Math.floor((time - day * 86_400_000) / 3_600_000),
    Number(billed / ONE),
    Number(billed % ONE),
    Number(effective / ONE),
    Number(effective % ONE),
    environment,
    ledger.services.id(textOf(cell(at.ServiceName))),
    ledger.subAccounts.id(subAccount),
    chargeFlags(cell(at.ServiceCategory), cell(at.PricingCategory), cell(at.CommitmentDiscountId)),
  );
}

/**
 * A cost cell as hyparquet gives it: a number (DOUBLE, or DECIMAL converted to a double, taken at
 * its shortest round-trip decimal, exact for up to 15 significant digits), a bigint (INT64) or text.
 */
function costOf(value: unknown): Amount | undefined {
  if (typeof value === "number") return amountFromNumber(value);
  if (typeof value === "bigint") return value * ONE;
  if (typeof value === "string")
    return value === "" || value === "NULL" ? undefined : parseAmount(value)?.amount;
  return undefined;
}

function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(value)
      ? `${value.replace(" ", "T")}Z`
      : value;
    const time = Date.parse(iso);
    return Number.isNaN(time) ? undefined : time;
  }
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

const textOf = (value: unknown): string =>
  value === null || value === undefined || value === "" ? UNKNOWN : String(value);

/** Compute rows, and among them those at on-demand prices with no commitment discount. */
function chargeFlags(serviceCategory: unknown, pricing: unknown, commitment: unknown): number {
  if (serviceCategory !== "Compute") return 0;
  const onDemandPrice = pricing === "Standard" || pricing === "On-Demand";
  const uncommitted = commitment === null || commitment === undefined || commitment === "";
  return onDemandPrice && uncommitted ? FLAG_COMPUTE | FLAG_ON_DEMAND : FLAG_COMPUTE;
}
