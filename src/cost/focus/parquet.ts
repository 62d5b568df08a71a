// Reads a FOCUS Parquet export into the digest ledger with hyparquet, one row group at a time and
// only the needed columns, so memory stays bounded by the largest row group.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from "hyparquet";
import { ConfigurationError } from "../../shared/errors.js";
import { amountFromNumber, ONE, parseAmount, type Amount } from "../money.js";
import { FLAG_COMPUTE, FLAG_ON_DEMAND, type DigestLedger } from "../digest/ledger.js";
import {
  BILLED,
  CHARGE_START,
  COMMITMENT_ID,
  CURRENCY,
  EFFECTIVE,
  FOCUS_COLUMNS,
  locateColumns,
  PRICING_CATEGORY,
  SERVICE,
  SERVICE_CATEGORY,
  SUB_ACCOUNT_ID,
  SUB_ACCOUNT_NAME,
  TAGS,
  type TagResolver,
  UNKNOWN,
} from "./columns.js";
import type { ReadSummary } from "./csv.js";

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

export async function readFocusParquet(
  file: string,
  displayName: string,
  ledger: DigestLedger,
  tags: TagResolver,
): Promise<ReadSummary> {
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new ConfigurationError({
      at: { file: displayName },
      message: `is not a Parquet file hyparquet can read: ${(error as Error).message}`,
    });
  }
  const names = parquetSchema(metadata).children.map((child) => child.element.name);
  const located = locateColumns(names);
  if (located.missingRequired.length > 0) {
    throw new ConfigurationError({
      at: { file: displayName },
      message: `is not a FOCUS export the digest can use: column(s) ${located.missingRequired.join(", ")} missing from its schema`,
    });
  }
  const columns = FOCUS_COLUMNS.filter((_, code) => located.index[code]! >= 0);
  const position = FOCUS_COLUMNS.map((name) => columns.indexOf(name));
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
    for (const row of rows) {
      record++;
      ledger.rows++;
      const cell = (code: number): unknown =>
        position[code]! < 0 ? undefined : row[position[code]!];
      const billed = costOf(cell(BILLED));
      if (billed === undefined) {
        ledger.problems.add("BilledCost is empty or not a number", record);
        continue;
      }
      const effective = costOf(cell(EFFECTIVE));
      if (effective === undefined) {
        ledger.problems.add("EffectiveCost is empty or not a number", record);
        continue;
      }
      const time = timeOf(cell(CHARGE_START));
      if (time === undefined) {
        ledger.problems.add("ChargePeriodStart is not a date and time", record);
        continue;
      }
      const currency = cell(CURRENCY);
      if (typeof currency !== "string" || currency === "") {
        ledger.problems.add("BillingCurrency is empty", record);
        continue;
      }
      ledger.currency ??= currency;
      if (currency !== ledger.currency) {
        ledger.problems.add(`BillingCurrency is ${currency}, not ${ledger.currency}`, record);
        continue;
      }
      const subAccount = textOf(cell(SUB_ACCOUNT_ID));
      if (!ledger.subAccountNames.has(subAccount) && position[SUB_ACCOUNT_NAME]! >= 0)
        ledger.subAccountNames.set(subAccount, textOf(cell(SUB_ACCOUNT_NAME)));
      const rawTags = cell(TAGS);
      const environment =
        typeof rawTags === "string"
          ? tags.resolve(rawTags, false)
          : tags.resolveObject(
              rawTags && typeof rawTags === "object"
                ? (rawTags as Record<string, unknown>)
                : undefined,
            );
      let flags = 0;
      if (cell(SERVICE_CATEGORY) === "Compute") {
        flags |= FLAG_COMPUTE;
        const pricing = cell(PRICING_CATEGORY);
        const commitment = cell(COMMITMENT_ID);
        if (
          (pricing === "Standard" || pricing === "On-Demand") &&
          (commitment === null || commitment === undefined || commitment === "")
        )
          flags |= FLAG_ON_DEMAND;
      }
      const day = Math.floor(time / 86_400_000);
      ledger.add(
        day,
        Math.floor((time - day * 86_400_000) / 3_600_000),
        Number(billed / ONE),
        Number(billed % ONE),
        Number(effective / ONE),
        Number(effective % ONE),
        environment,
        ledger.services.id(textOf(cell(SERVICE))),
        ledger.subAccounts.id(subAccount),
        flags,
      );
    }
  }
  return { file: displayName, records: record, missingOptional: located.missingOptional };
}
