// The demo's fleet: three instances of the demo service, all serving behind nginx. A first canary
// (no earlier deployment) is promoted without analysis, then a rolling deploy updates one instance
// at a time, each out of traffic before it gets the version, under 100 requests/s throughout.
import { join } from "node:path";
import { minServing, readLabEvents, startFleetLab } from "../../tools/lab/lab.js";
import { ROOT } from "../../tools/runner/run-action.js";
import { deployUnderLoad, type DemoRun } from "./deploy-demo.js";

export interface FleetDemo {
  runs: DemoRun[];
  /** Requests that failed across both deploys. */
  failed: number;
  /** The fewest instances carrying traffic at any moment of both deploys. */
  minServing: number;
}

export async function runFleetDemo(options: {
  apiUrl: string;
  log: (line: string) => void;
}): Promise<FleetDemo> {
  const dir = join(ROOT, ".lab", "demo-fleet");
  options.log("\nStarting a fleet: version 1.0.0 on vm1, vm2 and vm3, all serving behind nginx…");
  const fleet = await startFleetLab(dir, { instances: ["vm1", "vm2", "vm3"], version: "1.0.0" });
  try {
    const stage = {
      environment: "fleet",
      labUrl: fleet.url,
      apiUrl: options.apiUrl,
      env: fleet.variables,
      log: options.log,
    };
    const first = await deployUnderLoad(
      stage,
      "4. A fleet's first canary (promoted without analysis)",
      "1.1.0",
      "canary",
    );
    const rolling = await deployUnderLoad(
      stage,
      "5. A rolling deploy across the fleet, one instance at a time",
      "1.2.1",
      "rolling",
    );
    const runs = [first, rolling];
    return {
      runs,
      failed: runs.reduce((sum, run) => sum + run.load.failed, 0),
      minServing: minServing(await readLabEvents(dir)),
    };
  } finally {
    await fleet.stop();
  }
}
