// What the notifier talks about: the events shipgate reports, their default severities, and one
// event's facts, independent of any channel.

import { SEVERITIES, type NotifyEventKind, type Severity } from "../schema/notify.js";

/** Used unless the environment's `notify.severity` says otherwise. */
export const DEFAULT_SEVERITY: Readonly<Record<NotifyEventKind, Severity>> = {
  rollback: "critical",
  "verification-failed": "critical",
  "gate-inconclusive": "warning",
  "budget-breach": "warning",
  "deploy-succeeded": "info",
};

/** The events that raise an alert; a later `deploy-succeeded` resolves those of deploy. */
export const PROBLEM_EVENTS: readonly NotifyEventKind[] = [
  "rollback",
  "verification-failed",
  "gate-inconclusive",
  "budget-breach",
];
/** The problems a successful deploy of the same environment ends. */
export const RESOLVED_BY_DEPLOY: readonly NotifyEventKind[] = [
  "rollback",
  "verification-failed",
  "gate-inconclusive",
];

/** Prometheus alert names, one per problem event (stable: Alertmanager routes and silences use them). */
export const ALERT_NAMES: Readonly<Record<NotifyEventKind, string>> = {
  rollback: "ShipgateDeployRolledBack",
  "verification-failed": "ShipgateVerificationFailed",
  "gate-inconclusive": "ShipgateCanaryGateInconclusive",
  "budget-breach": "ShipgateBudgetBreach",
  "deploy-succeeded": "ShipgateDeploySucceeded",
};

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The label of the link back to the workflow run, which an alert names as its generator. */
export const RUN_LINK_LABEL = "Workflow run";

export interface NotifyLink {
  label: string;
  url: string;
}

/** One thing that happened, with every fact a message may show. */
export interface NotifyEvent {
  kind: NotifyEventKind;
  severity: Severity;
  environment: string;
  service: string;
  /** One sentence: what happened. */
  title: string;
  /** Why, or what was measured, in a few lines of plain text. */
  text: string;
  /** Short name/value pairs (version, previous version, strategy, score...). */
  facts: readonly { name: string; value: string }[];
  links: readonly NotifyLink[];
  /** When it happened, ISO 8601. */
  at: string;
}
