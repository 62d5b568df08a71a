// A drill in the job summary: its verdict against the objectives, and a restore drill's steps.
import { code, table } from "../shared/markdown.js";
import type { DrillVerdict } from "./drill.js";
import type { RestoreDrillResult } from "./restore-drill.js";

/** The verdict and figures of a drill, as a paragraph and a table. */
export function renderDrillVerdict(drill: DrillVerdict): string {
  const { payload } = drill;
  const mark = payload.passed ? "✅ passed" : "❌ failed";
  const cell = (value: number | null | undefined) =>
    value === null || value === undefined ? "—" : `${value}s`;
  const rows = [
    ["Recovery time", cell(payload.recovery_seconds), `RTO ${cell(payload.rto_seconds)}`],
    ...(payload.kind === "restore"
      ? [
          [
            "Backup age",
            cell(payload.backup_age_seconds),
            payload.rpo_seconds !== undefined ? `RPO ${cell(payload.rpo_seconds)}` : "no RPO",
          ],
        ]
      : []),
  ];
  return [
    `#### ${payload.kind} drill — ${mark}`,
    `**${drill.reason}.**`,
    table(["", "Measured", "Objective"], rows, ["left", "right", "right"]),
    "Recorded with task `deploy:drill`: kept out of the delivery report's DORA figures.",
  ].join("\n\n");
}

export function renderRestoreDrillSummary(
  environment: string,
  version: string,
  result: RestoreDrillResult,
): string {
  const steps = table(
    ["Time", "Step", "Detail"],
    result.steps.map((step) => [
      `+${step.seconds.toFixed(1)}s`,
      `${step.ok ? "✓" : "✗"} ${step.step}`,
      step.detail,
    ]),
    ["right", "left", "left"],
  );
  return (
    [
      `### restore drill: ${code(version)} to ${code(environment)}`,
      renderDrillVerdict(result.drill),
      steps,
      `Deployment #${result.deploymentId}.`,
    ].join("\n\n") + "\n"
  );
}
