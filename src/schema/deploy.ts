// The shape of an environment's `deploy` section: strategy, steps, slots, hooks and timeouts.
// The same schema checks each file and, once references are resolved, the section deploy reads.
import * as z from "zod/mini";

export const STRATEGIES = ["rolling", "blue-green", "canary"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A slot's name: it goes into hooks, records and labels, so it is a plain word. */
export const SLOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const slot = z
  .string()
  .check(z.regex(SLOT_NAME, { error: "expected a slot name of letters, digits, '.', '_' or '-'" }));

/** An instance's name, as nginx, hooks and labels take it. */
const instanceName = z
  .string()
  .check(
    z.regex(SLOT_NAME, { error: "expected an instance name of letters, digits, '.', '_' or '-'" }),
  );

const duration = z.string({ error: "expected a duration with a unit, such as 30s or 10m" });

/**
 * The `deploy` section of an environment file. Each key's description ends with its default, as
 * src/deploy/settings.ts applies it; the deploy README's table of keys is generated from them.
 */
export const DeploySectionSchema = z.strictObject({
  strategy: z.optional(
    z
      .enum(STRATEGIES)
      .check(
        z.describe(
          "How the version reaches traffic: rolling (deploy in place, then check the environment), " +
            "blue-green (deploy to the idle slot, check it, switch all traffic) or canary (deploy " +
            "beside stable, then step traffic through steps with the canary gate at each). " +
            "The strategy input wins. Default: rolling.",
        ),
      ),
  ),
  steps: z.optional(
    z
      .union([z.array(z.number()), z.string()])
      .check(
        z.describe(
          "Canary traffic steps in percent: whole numbers from 1 to 100, increasing and ending at " +
            "100, as a list ([10, 25, 50, 100]) or text (10,25,50,100). The canary gate runs at " +
            "every step below 100. The steps input wins. Default: 10,25,50,100.",
        ),
      ),
  ),
  slots: z.optional(
    z
      .tuple([slot, slot])
      .check(
        z.describe(
          "The two slots' names, passed to hooks as {{ slot }}: blue-green and canary deploy to " +
            "the one not serving, rolling to the one serving. Default: [blue, green].",
        ),
      ),
  ),
  instances: z.optional(
    z
      .union([
        z.array(
          z.union([
            instanceName,
            z.strictObject({ name: instanceName, url: z.optional(z.string()) }),
          ]),
        ),
        z.strictObject({ command: z.string() }),
      ])
      .check(
        z.describe(
          "A fleet: the instances that all serve traffic, as a list (names, or {name, url}) or a " +
            "command that prints one instance a line (`name [url]`). With instances, rolling " +
            "updates them in batches and canary puts the new version on some of them, each " +
            "instance taken out of traffic (weight 0, drained) before it gets a new version, " +
            "through the traffic hook's {{ weights }}. An instance's url is where its health is " +
            "checked before it takes traffic again; without it, two slots take turns. Default: none.",
        ),
      ),
  ),
  groups: z.optional(
    z
      .record(slot, z.array(instanceName))
      .check(
        z.describe(
          "Blue-green on a fleet: the two slots as groups of instances, by slot name " +
            "({ blue: [vm1, vm2], green: [vm3, vm4] }); the new version goes to every instance " +
            "of the idle group, then all traffic switches to it. Default: none.",
        ),
      ),
  ),
  batch: z.optional(
    z
      .union([z.number(), z.string()])
      .check(
        z.describe(
          "Fleets: how many instances change at once, a count (1) or a share of the fleet " +
            "(25%, rounded up). Rolling updates batch after batch; canary widens in batches. " +
            "Default: 1.",
        ),
      ),
  ),
  "min-healthy": z.optional(
    z
      .union([z.number(), z.string()])
      .check(
        z.describe(
          "Fleets: how many instances must carry traffic at every moment, a count (2) or a share " +
            "(66%, rounded up), as CodeDeploy's minimum healthy hosts; a batch that would leave " +
            "fewer is refused at start. Default: 1.",
        ),
      ),
  ),
  drain: z.optional(
    duration.check(
      z.describe(
        "How long a slot or instance taken out of traffic is left to finish its requests " +
          "before it gets a new version, a duration with a unit; 0s when the traffic hook " +
          "returns once drained. Default: 0s.",
      ),
    ),
  ),
  "hold-at": z.optional(
    z
      .number()
      .check(
        z.describe(
          "Canary: the step (a percentage among steps) to stop at, gate passed, with the state " +
            "saved on the deployment: the job ends held, and a later run with resume: promote " +
            "carries on (or resume: abort rolls back). The hold-at input wins. Default: none.",
        ),
      ),
  ),
  "skip-analysis": z.optional(
    z
      .boolean()
      .check(
        z.describe(
          "Canary: promote straight to all traffic without the gate, recorded on the " +
            "deployment (a first deployment always is: there is nothing to compare with). " +
            "The skip-analysis input wins. Default: false.",
        ),
      ),
  ),
  "slot-urls": z.optional(
    z
      .record(z.string(), z.string())
      .check(
        z.describe(
          "Where each slot answers, by slot name (may use ${env:NAME} or ${var:NAME}). Blue-green " +
            "and canary run the environment's health checks against the new slot's URL before it " +
            "takes traffic, with ${env:SERVICE_URL} set to it; a slot without one skips them.",
        ),
      ),
  ),
  hooks: z.optional(
    z
      .strictObject({
        deploy: z.optional(
          z
            .string()
            .check(
              z.describe(
                "Deploys {{ version }} to {{ slot }}; every strategy needs it. On a fleet it runs " +
                  "once per instance ({{ instance }}, in batch {{ batch }}), or once per batch " +
                  "when it names {{ instances }} and not {{ instance }}. " +
                  "The deploy-command input wins.",
              ),
            ),
        ),
        traffic: z.optional(
          z
            .string()
            .check(
              z.describe(
                "Sends {{ weight }} percent of traffic to {{ slot }} and the rest to the other " +
                  "slot; blue-green and canary need it. On a fleet it sets every instance's " +
                  "weight at once from {{ weights }} (vm1=0,vm2=50,vm3=50; also SHIPGATE_WEIGHTS " +
                  "as JSON), and every fleet needs it. The traffic-command input wins.",
              ),
            ),
        ),
        promote: z.optional(
          z
            .string()
            .check(
              z.describe(
                "Runs once {{ slot }} serves all traffic and passed every check. " +
                  "The promote-command input wins.",
              ),
            ),
        ),
        weights: z.optional(
          z
            .string()
            .check(
              z.describe(
                'Prints the traffic weights in force as JSON ({"blue": 100, "green": 0}, or ' +
                  "one weight per instance): deploy reads them at start and refuses to start " +
                  "from a state it did not expect (a slot about to get the new version still " +
                  "serving, an instance out of traffic).",
              ),
            ),
        ),
        rollback: z.optional(
          z
            .string()
            .check(
              z.describe(
                "Restores the last good version ({{ version }} and {{ previous_version }}) on the " +
                  "stable slot ({{ slot }}) with all traffic. Without it, traffic goes back to the " +
                  "stable slot (rolling: the deploy hook redeploys the previous version). " +
                  "The rollback-command input wins.",
              ),
            ),
        ),
        restore: z.optional(
          z
            .string()
            .check(
              z.describe(
                "A restore drill (the drill input, restore): rebuilds {{ environment }}, a " +
                  "scratch environment, from the latest backup with {{ version }} of the service, " +
                  "and prints the backup's time (ISO 8601 with a zone, such as " +
                  "2026-12-01T21:00:00Z, optionally after backup-time:) as its last such line " +
                  "of standard output. The environment's health checks then prove it serves.",
              ),
            ),
        ),
      })
      .check(
        z.describe(
          "The commands that drive the target, run in bash from the workspace, each in its own " +
            "process group under timeout. Placeholders ({{ version }}, {{ previous_version }}, " +
            "{{ slot }}, {{ weight }}, {{ environment }}, {{ config_file }}, and on a fleet " +
            "{{ instance }}, {{ instances }}, {{ batch }}, {{ weights }}) are substituted " +
            "shell-quoted and exported as SHIPGATE_* variables.",
        ),
      ),
  ),
  timeout: z.optional(
    duration.check(
      z.describe(
        "How long each hook may run, a duration with a unit (30s, 10m): a hook that runs longer " +
          "is stopped with its whole process group and the deploy rolls back. " +
          "The timeout input wins. Default: 10m.",
      ),
    ),
  ),
  "switch-buffer": z.optional(
    duration.check(
      z.describe(
        "Blue-green: how long the old slot is kept after the switch, with the environment's " +
          "health watched the whole time, so a rollback is a traffic switch and not a redeploy; " +
          "a duration with a unit. The switch-buffer input wins. Default: 0s.",
      ),
    ),
  ),
  "on-inconclusive": z.optional(
    z
      .enum(["rollback", "hold"])
      .check(
        z.describe(
          "What an inconclusive canary gate does: rollback, or hold (fail without promoting, " +
            "traffic left where it is). The on-inconclusive input wins. Default: rollback.",
        ),
      ),
  ),
});

export type DeploySection = z.infer<typeof DeploySectionSchema>;
