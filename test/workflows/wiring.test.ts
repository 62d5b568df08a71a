// The workflows' wiring, read with GitHub's own parser: shipgate actions get only inputs they
// declare (and every required one), every output read exists, every job is hardened; and a small
// broken workflow per rule shows that the rule bites.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../tools/runner/run-action.js";
import {
  checkWiring,
  wiringContext,
  type Finding,
  type Rule,
  type WiringContext,
} from "../../tools/rehearsal/wiring.js";
import { loadWorkflow } from "../../tools/rehearsal/workflow-file.js";

const FILES = [".github/workflows", "examples"].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`),
);

let context: WiringContext;
beforeAll(async () => {
  context = await wiringContext(ROOT);
});

async function findingsOf(content: string): Promise<Finding[]> {
  const workflow = await loadWorkflow("fixture.yml", { root: ROOT, content });
  expect(workflow.errors).toEqual([]);
  return checkWiring(workflow, context);
}

const CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";

/** A valid job around `steps`, for fixtures that break one thing. */
function workflowWith(steps: string, job = ""): string {
  return `on: workflow_dispatch
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read
${job}    steps:
      - uses: ${CHECKOUT}
${steps}`;
}

/** Steps that run env-config, then read its output `output` through env. */
function configThenRead(output: string): string {
  return `      - id: config
        uses: ./actions/env-config
        with:
          environment: staging
      - env:
          DIGEST: \${{ steps.config.outputs.${output} }}
        run: echo "$DIGEST"
`;
}

describe("the project's workflows", () => {
  it.each(FILES)("%s parses with zero errors and breaks no wiring rule", async (file) => {
    const workflow = await loadWorkflow(file, { root: ROOT });
    expect(workflow.errors).toEqual([]);
    expect(workflow.template.jobs.length).toBeGreaterThan(0);
    expect(await checkWiring(workflow, context)).toEqual([]);
  });

  it("covers every workflow and example", () => {
    expect(FILES).toEqual(
      expect.arrayContaining([
        ".github/workflows/deploy.yml",
        ".github/workflows/release.yml",
        "examples/release.yml",
      ]),
    );
  });

  it(
    "a call with an unknown or a missing input is a parse error " +
      "(GitHub's parser checks the calling side)",
    async () => {
      const workflow = await loadWorkflow("fixture.yml", {
        root: ROOT,
        content: `on: workflow_dispatch
permissions: {}
jobs:
  deploy:
    uses: ./.github/workflows/deploy.yml
    permissions:
      contents: read
      deployments: write
    with:
      environment: staging
      verison: 1.0.0
`,
      });
      expect(workflow.errors).toEqual([
        expect.stringMatching(/Input version is required, but not provided while calling/),
        expect.stringMatching(/Invalid input, verison is not defined in the referenced workflow/),
      ]);
    },
  );

  it("the sound fixture breaks no rule (so each negative below fails for its one reason)", async () => {
    expect(await findingsOf(workflowWith(configThenRead("digest")))).toEqual([]);
  });
});

const NEGATIVES: [Rule, string, RegExp][] = [
  [
    "action-input",
    workflowWith(`      - uses: ./.shipgate/actions/env-config
        with:
          environment: staging
          config_dir: environments
`),
    /with\.config_dir: actions\/env-config has no input config_dir/,
  ],
  [
    "required-input",
    workflowWith(
      `      - uses: ./.shipgate/actions/deploy
        with:
          version: 1.0.0
`,
      "    environment: staging\n    concurrency:\n      group: deploy-staging\n",
    ),
    /actions\/deploy requires input environment/,
  ],
  [
    "step-output",
    workflowWith(configThenRead("sha")),
    /steps\.config\.outputs\.sha: step config has no output sha/,
  ],
  [
    "step-output",
    workflowWith(
      `      - id: compute
        run: echo "value=1" >> "$GITHUB_OUTPUT"
`,
      "    outputs:\n      value: ${{ steps.compute.outputs.valeu }}\n",
    ),
    /step compute has no output valeu \(it has value\)/,
  ],
  [
    "job-output",
    `on: workflow_dispatch
permissions: {}
jobs:
  first:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {}
    outputs:
      version: \${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.0.0" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {}
    steps:
      - env:
          VERSION: \${{ needs.first.outputs.semver }}
        run: echo "$VERSION"
`,
    /needs\.first\.outputs\.semver: job first has no output semver/,
  ],
  [
    "call-output",
    `on:
  workflow_call:
    outputs:
      result:
        value: \${{ jobs.build.outputs.result }}
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {}
    steps:
      - run: echo
`,
    /jobs\.build\.outputs\.result: job build has no output result/,
  ],
  [
    "permissions",
    workflowWith("      - run: echo\n").replace("    permissions:\n      contents: read\n", ""),
    /no permissions:/,
  ],
  [
    "timeout",
    workflowWith("      - run: echo\n").replace("    timeout-minutes: 5\n", ""),
    /no timeout-minutes/,
  ],
  [
    "pinned",
    workflowWith("      - uses: actions/setup-node@v4\n"),
    /actions\/setup-node@v4 is not pinned by a full commit SHA/,
  ],
  [
    "pinned",
    workflowWith("      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020\n"),
    /has no version comment/,
  ],
  [
    "injection",
    workflowWith('      - run: echo "${{ github.event.pull_request.title }}"\n'),
    /github\.event\.pull_request\.title }} inside run:/,
  ],
  [
    "injection",
    `on:
  workflow_call:
    inputs:
      version: { type: string, required: true }
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {}
    steps:
      - run: echo "deploying \${{ inputs.version }}"
`,
    /inputs\.version }} inside run:/,
  ],
  [
    "deploy-concurrency",
    workflowWith(
      `      - uses: ./actions/deploy
        with:
          environment: \${{ inputs.environment }}
          version: 1.0.0
`,
      "    environment: ${{ inputs.environment }}\n    concurrency:\n" +
        "      group: deploy-${{ inputs.environment }}\n      cancel-in-progress: true\n",
    ),
    /cancel-in-progress must be false/,
  ],
  [
    "deploy-concurrency",
    workflowWith(
      `      - uses: ./actions/deploy
        with:
          environment: production
          version: 1.0.0
`,
      "    concurrency:\n      group: deploys\n",
    ),
    /concurrency group deploys is not per environment \(production\)/,
  ],
  [
    "deploy-concurrency",
    workflowWith("      - run: echo\n", "    environment: production\n"),
    /a deploy job without concurrency:/,
  ],
];

describe("each rule bites", () => {
  it.each(NEGATIVES)("%s catches its violation (%#)", async (rule, content, message) => {
    const findings = await findingsOf(content);
    expect(findings.map((finding) => finding.rule)).toEqual([rule]);
    expect(findings[0]?.message).toMatch(message);
  });
});
