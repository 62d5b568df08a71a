// Versions shipgate deploys and reads back: semver, a leading "v" allowed, anything else refused.
import semver from "semver";

/**
 * The version in canonical form (no "v", build metadata kept: 1.2.3+build.7); throws an Error
 * saying what is expected when `text` is not a semantic version.
 */
export function parseVersion(text: string): string {
  const trimmed = text.trim();
  const bare = /^[vV]/.test(trimmed) ? trimmed.slice(1) : trimmed;
  const parsed = semver.parse(bare);
  const build = parsed && parsed.build.length > 0 ? `+${parsed.build.join(".")}` : "";
  const canonical = parsed && `${parsed.version}${build}`;
  if (!parsed || canonical !== bare) {
    throw new Error(
      `${JSON.stringify(text)} is not a semantic version: ` +
        "expected MAJOR.MINOR.PATCH such as 1.4.2, 2.0.0-rc.1 or v1.4.2",
    );
  }
  return bare;
}

/** The version when `text` is one, else undefined: for versions read back from records. */
export function versionOrUndefined(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return parseVersion(text) === text ? text : undefined;
  } catch {
    return undefined;
  }
}
