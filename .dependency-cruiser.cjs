// The import rules of src/, checked by `npm run lint`: no cycles, and every folder imports only the
// floors below it. Floors, lowest first: shared -> schema -> config -> runtime -> the domains
// (leaves: health, analysis, notify, incidents, protection, dora, cost, migrations) -> audit (change
// evidence over DORA's history and the incidents' records) and deploy -> actions.
const LEAVES = "(health|analysis|notify|incidents|protection|dora|cost|migrations)";
const allowedBelow = {
  shared: [],
  schema: ["shared"],
  config: ["shared", "schema"],
  runtime: ["shared", "schema", "config"],
  leaf: ["shared", "schema", "config", "runtime"],
  audit: ["shared", "schema", "config", "runtime", "dora", "incidents"],
  deploy: [
    "shared",
    "schema",
    "config",
    "runtime",
    "health",
    "analysis",
    "notify",
    "incidents",
    "protection",
  ],
};
const folders = (names) => `^src/(${names.join("|")})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "A cycle makes two modules one: neither can be read or tested without the other.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...["shared", "schema", "config", "runtime", "audit", "deploy"].map((folder) => ({
      name: `${folder}-imports-only-below`,
      comment: `src/${folder} may import only ${allowedBelow[folder].join(", ") || "itself"}.`,
      severity: "error",
      from: { path: `^src/${folder}/` },
      to: {
        path: "^src/",
        pathNot: [
          `^src/${folder}/`,
          ...(allowedBelow[folder].length ? [folders(allowedBelow[folder])] : []),
        ],
      },
    })),
    {
      name: "domains-are-leaves",
      comment: "A domain imports the floors below it and its own folder, never another domain.",
      severity: "error",
      from: { path: `^src/${LEAVES}/` },
      to: { path: "^src/", pathNot: ["^src/$1/", folders(allowedBelow.leaf)] },
    },
    {
      name: "only-entries-touch-the-runner",
      comment:
        "The runner protocol (@actions/core) is reached only by the entries and the step context.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/actions/", "^src/runtime/"] },
      to: { path: ["^src/runtime/(runner|run|step|inputs)\\.ts$", "@actions/core"] },
    },
    {
      name: "nothing-imports-entries",
      comment: "src/actions/<name>.ts are entries: nothing imports them.",
      severity: "error",
      from: {},
      to: { path: "^src/actions/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
