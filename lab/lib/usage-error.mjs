// @ts-check
// The error for a caller's mistake, which the CLI reports with exit code 2 rather than 1.

/** A mistake of the caller (bad arguments, a refused operation), as opposed to a failure of the lab. */
export class LabUsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "LabUsageError";
  }
}
