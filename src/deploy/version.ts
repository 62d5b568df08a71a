// The version being deployed: semver, a leading "v" allowed, anything else refused.
import semver from "semver";

export function parseVersion(text: string): string {
  const trimmed = text.trim();
  const bare = /^[vV]/.test(trimmed) ? trimmed.slice(1) : trimmed;
  const valid = semver.valid(bare);
  if (valid === null || valid !== bare) {
    throw new Error(
      `${JSON.stringify(text)} is not a semantic version: ` +
        "expected MAJOR.MINOR.PATCH such as 1.4.2, 2.0.0-rc.1 or v1.4.2",
    );
  }
  return valid;
}
