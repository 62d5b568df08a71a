// The shipgate Grafana dashboard, as code: built with Grafana's own dashboards-as-code SDK
// (@grafana/grafana-foundation-sdk) and committed as grafana/shipgate.json (`npm run grafana`).
// It reads only what shipgate pushes to a Pushgateway and Prometheus scrapes from it:
//   shipgate_deploy_*  each deploy's figures (src/deploy/pushgateway-metrics.ts; job shipgate_deploy)
//   shipgate_drill_*   each recovery drill's figures (job shipgate_deploy, with the deploy's group)
//   shipgate_dora_*    the delivery report's DORA figures (src/dora/pushgateway-metrics.ts)
// Every query is written here once; the tests run each against a real Prometheus fed by a real
// Pushgateway with the metrics the actions push, so a renamed metric breaks a test, not a panel.
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  ConstantVariableBuilder,
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

export const DASHBOARD_UID = "shipgate-delivery";

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
/** The deploy's group, as chosen by the dashboard's variables. */
const GROUP = 'environment=~"$environment", service=~"$service"';

/**
 * One deploy ended in the step before each evaluation: its finish time changed since one step
 * ago, or the group appeared. Summed over a range with a subquery of the same step, each deploy is
 * counted once (two deploys of one service within a step count as one).
 */
function deployEnded(selector: string): string {
  const stamp = `shipgate_deploy_timestamp_seconds{${selector}}`;
  return `((${stamp} != bool ${stamp} offset $change_step) or (${stamp} * 0 + 1 unless ${stamp} offset $change_step))`;
}

/** A metric of the deploy's group, one series per environment and service (and `by`). */
const perGroup = (metric: string, by = "", filter = ""): string =>
  `max by (environment, service${by}) (${metric}{${GROUP}}${filter})`;
/** A DORA figure, one series per environment. */
const perEnvironment = (metric: string): string =>
  `max by (environment) (${metric}{environment=~"$environment"})`;
const RANGE = "[$__range:$change_step]";

/** The panels' queries by panel title: what the tests evaluate against a real Prometheus. */
export const QUERIES = {
  "Last deploy's version": perGroup("shipgate_deploy_info", ", version"),
  "Last result": perGroup("shipgate_deploy_result", ", result", " == 1"),
  "Canary score (last gate)": perGroup("shipgate_deploy_canary_score"),
  "Time to restore (last rollback)": perGroup("shipgate_deploy_time_to_restore_seconds"),
  "Deploys in range": `sum(sum_over_time(${deployEnded(GROUP)}${RANGE}))`,
  "Rolled back in range":
    `sum(sum_over_time((${deployEnded(GROUP)} * on (environment, service) ` +
    `shipgate_deploy_rollbacks{${GROUP}})${RANGE}))`,
  "Deploy duration": perGroup("shipgate_deploy_duration_seconds"),
  "Time in the canary gate": perGroup("shipgate_deploy_gate_seconds"),
  "Deployment frequency (per day)": perEnvironment("shipgate_dora_deployments_per_day"),
  "Lead time for changes (median)": perEnvironment("shipgate_dora_lead_time_hours"),
  "Change failure rate": perEnvironment("shipgate_dora_change_failure_rate"),
  "Time to restore (median)": perEnvironment("shipgate_dora_time_to_restore_hours"),
  "Drill recovery time vs RTO": [
    perGroup("shipgate_drill_recovery_seconds", ", kind"),
    perGroup("shipgate_drill_rto_seconds", ", kind"),
  ],
  "Restore drill: backup age vs RPO": [
    perGroup("shipgate_drill_backup_age_seconds", ", kind"),
    perGroup("shipgate_drill_rpo_seconds", ", kind"),
  ],
  "Last drill passed": perGroup("shipgate_drill_passed", ", kind"),
} as const satisfies Record<string, string | readonly string[]>;

export type PanelTitle = keyof typeof QUERIES;

function targets(title: PanelTitle, legend: string): DataqueryBuilder[] {
  const queries: readonly string[] = [QUERIES[title]].flat();
  return queries.map((expr, index) =>
    new DataqueryBuilder()
      .expr(expr)
      .legendFormat(index === 0 ? legend : `${legend} objective`)
      .refId(String.fromCharCode(65 + index))
      .datasource(DATASOURCE),
  );
}

function stat(title: PanelTitle, legend: string, unit?: string, height = 5): StatPanel {
  const panel = new StatPanel()
    .title(title)
    .datasource(DATASOURCE)
    .height(height)
    .span(6)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
  for (const target of targets(title, legend)) panel.withTarget(target.instant());
  return unit ? panel.unit(unit) : panel;
}

/** A stat whose answer is a label (a version, a result), not a number. */
function labelStat(title: PanelTitle, legend: string): StatPanel {
  return stat(title, legend).textMode(common.BigValueTextMode.Name);
}

function series(title: PanelTitle, legend: string, unit: string, width = 12): TimeseriesPanel {
  const panel = new TimeseriesPanel()
    .title(title)
    .datasource(DATASOURCE)
    .height(8)
    .span(width)
    .unit(unit)
    .min(0);
  for (const target of targets(title, legend)) panel.withTarget(target.range());
  return panel;
}

/** A multi-value variable over a label's values, "All" matching every value. */
function labelVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*");
}

export function shipgateDashboard(): Dashboard {
  return new DashboardBuilder("shipgate: deploys, drills and DORA")
    .uid(DASHBOARD_UID)
    .description(
      "What shipgate's actions push to a Pushgateway: each deploy's result and timings, " +
        "recovery drills, and the delivery report's DORA figures.",
    )
    .tags(["shipgate", "deploys", "dora"])
    .editable()
    .time({ from: "now-30d", to: "now" })
    .refresh("1m")
    .timezone("browser")
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"),
    )
    .withVariable(
      labelVariable(
        "environment",
        "Environment",
        "label_values(shipgate_deploy_info, environment)",
      ),
    )
    .withVariable(
      labelVariable(
        "service",
        "Service",
        'label_values(shipgate_deploy_info{environment=~"$environment"}, service)',
      ),
    )
    .withVariable(
      new ConstantVariableBuilder("change_step")
        .description(
          "The step that finds deploys in Prometheus history: at least the scrape interval, " +
            "at most the shortest time between two deploys of one service.",
        )
        .value("1m"),
    )
    .withRow(new RowBuilder("Last deploy"))
    .withPanel(labelStat("Last deploy's version", "{{service}} {{environment}}: {{version}}"))
    .withPanel(labelStat("Last result", "{{service}} {{environment}}: {{result}}"))
    .withPanel(stat("Canary score (last gate)", "{{service}} {{environment}}", "none"))
    .withPanel(stat("Time to restore (last rollback)", "{{service}} {{environment}}", "s"))
    .withRow(new RowBuilder("Deploys over the dashboard's range"))
    .withPanel(stat("Deploys in range", "deploys", "none", 8))
    .withPanel(stat("Rolled back in range", "rolled back", "none", 8))
    .withPanel(series("Deploy duration", "{{service}} {{environment}}", "s"))
    .withPanel(series("Time in the canary gate", "{{service}} {{environment}}", "s", 24))
    .withRow(new RowBuilder("DORA (the delivery report's window)"))
    .withPanel(stat("Deployment frequency (per day)", "{{environment}}", "none"))
    .withPanel(stat("Lead time for changes (median)", "{{environment}}", "h"))
    .withPanel(stat("Change failure rate", "{{environment}}", "percentunit"))
    .withPanel(stat("Time to restore (median)", "{{environment}}", "h"))
    .withRow(new RowBuilder("Recovery drills"))
    .withPanel(series("Drill recovery time vs RTO", "{{service}} {{environment}} {{kind}}", "s"))
    .withPanel(series("Restore drill: backup age vs RPO", "{{service}} {{environment}}", "s"))
    .withPanel(stat("Last drill passed", "{{service}} {{environment}} {{kind}}", "bool_yes_no"))
    .build();
}

/** The committed file's text: stable key order as built, two-space indent, final newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(shipgateDashboard(), null, 2)}\n`;
}
