// Releases shipgate from a clean checkout: `node scripts/release.mjs 1.2.0` (or `npm run release --
// 1.2.0`). Checks that the bundles are what the sources build (a tag must never point at stale
// dist/), writes the release notes, tags v1.2.0 and moves the major tag v1 to it, then pins the
// examples to the release's commit (with the version in a comment) in a commit of their own.
// Pushing the commits and tags is left to the person releasing: `git push --follow-tags` and
// `git push --force origin v1`.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;
/** A use of one of shipgate's reusable workflows, pinned or not, with any version comment. */
const PIN = /(shipgate\/shipgate\/\.github\/workflows\/[\w.-]+\.ya?ml)@[^\s#]+(?:\s+#\s*\S+)?/g;

const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

/** Orders versions (without "v") by major, minor and patch. */
function compareVersions(a, b) {
  const parts = (version) => (SEMVER.exec(version) ?? []).slice(1, 4).map(Number);
  const [left, right] = [parts(a), parts(b)];
  return left.reduce((order, n, index) => order || n - (right[index] ?? 0), 0);
}

/** The release tags, newest version first. */
function releaseTags() {
  const tags = git("tag", "--list", "v*.*.*").split("\n").filter(Boolean);
  return tags
    .filter((tag) => SEMVER.test(tag.slice(1)))
    .sort((a, b) => compareVersions(b.slice(1), a.slice(1)));
}

function checkPreconditions(version) {
  if (!SEMVER.test(version)) fail(`"${version}" is not a version such as 1.2.0`);
  if (git("status", "--porcelain", "--untracked-files=no") !== "")
    fail("the working tree has changes: commit them first");
  const tags = releaseTags();
  if (tags.includes(`v${version}`)) fail(`v${version} exists already`);
  const [previous] = tags;
  if (previous && compareVersions(version, previous.slice(1)) <= 0) {
    fail(`v${version} is not later than ${previous}`);
  }
  return previous;
}

/** The dist check: a fresh build must equal the committed bundles and schema. */
function checkBundles() {
  try {
    execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), "--check"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
  } catch {
    fail("the committed bundles are stale: run npm run build and commit the result");
  }
}

function writeNotes(version, previous) {
  const range = previous ? `${previous}..HEAD` : "HEAD";
  const subjects = git("log", "--no-merges", "--format=%s", range).split("\n").filter(Boolean);
  const lines = [
    `# shipgate v${version}`,
    "",
    `Released ${new Date().toISOString().slice(0, 10)}${previous ? `; changes since ${previous}` : ""}:`,
    "",
    ...subjects.map((subject) => `- ${subject}`),
    "",
    "Pin the reusable workflows by this release's commit (the examples show it); the actions run at",
    "that same commit.",
    "",
  ];
  const file = join("docs", "releases", `v${version}.md`);
  mkdirSync(join(root, "docs", "releases"), { recursive: true });
  writeFileSync(join(root, file), lines.join("\n"));
  return file;
}

/** Every example's use of a reusable workflow, pinned to `sha` with the version in a comment. */
function pinExamples(sha, version) {
  const changed = [];
  for (const name of readdirSync(join(root, "examples")).filter((file) => file.endsWith(".yml"))) {
    const file = join(root, "examples", name);
    const text = readFileSync(file, "utf8");
    const pinned = text.replace(PIN, (_use, path) => `${path}@${sha} # v${version}`);
    if (pinned !== text) {
      writeFileSync(file, pinned);
      changed.push(join("examples", name));
    }
  }
  return changed;
}

const version = (process.argv[2] ?? "").replace(/^v/, "");
const previous = checkPreconditions(version);
checkBundles();
const notes = writeNotes(version, previous);
git("add", notes);
git("commit", "--quiet", "-m", `release v${version}`, "--", notes);
git("tag", "-a", `v${version}`, "-F", join(root, notes));
const major = `v${version.split(".")[0]}`;
git("tag", "-f", major, `v${version}^{commit}`);
const sha = git("rev-parse", `v${version}^{commit}`);
const examples = pinExamples(sha, version);
if (examples.length > 0) {
  git("commit", "--quiet", "-m", `examples: pinned to v${version} (${sha})`, "--", ...examples);
}
console.log(`v${version} at ${sha}; ${major} moved there; notes in ${notes}`);
console.log(`examples pinned: ${examples.join(", ") || "none to change"}`);
console.log("push with: git push --follow-tags && git push --force origin " + major);
