// @ts-check
// The lab library: every module's public API in one import, for tests and scripts.
export { freePort, isAlive, isLabProcess, waitUntil } from "./processes.mjs";
export { httpGet } from "./http.mjs";
export { parseVersion, versionBehaviour } from "./versions.mjs";
export { DURATION_BUCKETS, injectedFailure } from "./demo-service.mjs";
export { SERVICE_SCRIPT, startService } from "./service.mjs";
export { renderNginxConfig, setWeights, startNginx, stopNginx } from "./nginx.mjs";
export { queryPrometheus, renderTargets, startPrometheus } from "./prometheus.mjs";
export { startLoad } from "./load.mjs";
export { readState, stateFile } from "./state.mjs";
export { eventsFile, minServing, readEvents } from "./events.mjs";
export { equalWeights, parseInstanceNames, parseWeights } from "./fleet.mjs";
export {
  LabUsageError,
  labDeploy,
  labDown,
  labInstances,
  labLoad,
  labMode,
  labPromote,
  labRollback,
  labStatus,
  labStop,
  labTraffic,
  labUp,
  labWeights,
} from "./lab.mjs";

/** @typedef {import("./http.mjs").HttpResponse} HttpResponse */
/** @typedef {import("./versions.mjs").Behaviour} Behaviour */
/** @typedef {import("./service.mjs").StartServiceOptions} StartServiceOptions */
/** @typedef {import("./service.mjs").ServiceInstance} ServiceInstance */
/** @typedef {import("./nginx.mjs").UpstreamServer} UpstreamServer */
/** @typedef {import("./nginx.mjs").NginxRouter} NginxRouter */
/** @typedef {import("./prometheus.mjs").ScrapeTarget} ScrapeTarget */
/** @typedef {import("./prometheus.mjs").Sample} Sample */
/** @typedef {import("./prometheus.mjs").PrometheusServer} PrometheusServer */
/** @typedef {import("./load.mjs").LoadOptions} LoadOptions */
/** @typedef {import("./load.mjs").LoadResult} LoadResult */
/** @typedef {import("./load.mjs").LoadRun} LoadRun */
/** @typedef {import("./state.mjs").LabState} LabState */
/** @typedef {import("./state.mjs").Slot} Slot */
/** @typedef {import("./state.mjs").InstanceState} InstanceState */
/** @typedef {import("./lab.mjs").LabSummary} LabSummary */
/** @typedef {import("./lab.mjs").InstanceSummary} InstanceSummary */
/** @typedef {import("./events.mjs").LabEvent} LabEvent */
/** @typedef {import("./events.mjs").WeightsEvent} WeightsEvent */
/** @typedef {import("./events.mjs").DeployEvent} DeployEvent */
