// The record of every request the stand-in answered, and the views tests assert on.

export interface RecordedCall {
  method: string;
  /** Path without the query, as sent (`/repos/octo/app/deployments`). */
  path: string;
  query: Record<string, string>;
  /** Undefined when no operation of the description matches. */
  operationId: string | undefined;
  status: number;
  /** The parsed JSON body, the raw text when it was not JSON, or undefined when empty. */
  requestBody: unknown;
  /** Every problem found, request and response alike. */
  violations: string[];
  /** Where the request broke the description (or the stand-in's auth rule). */
  requestViolations: string[];
  /** Where the stand-in's own answer broke the description, or the stand-in failed. */
  responseViolations: string[];
}

export class CallLog {
  private readonly recorded: RecordedCall[] = [];

  record(call: Omit<RecordedCall, "violations">): void {
    this.recorded.push({
      ...call,
      violations: [...call.requestViolations, ...call.responseViolations],
    });
  }

  get all(): readonly RecordedCall[] {
    return this.recorded;
  }

  to(operationId: string): RecordedCall[] {
    return this.recorded.filter((call) => call.operationId === operationId);
  }

  /** One line per problem, prefixed with the call, so a failing `toEqual([])` reads on its own. */
  describe(kind: "requestViolations" | "responseViolations"): string[] {
    return this.recorded.flatMap((call) =>
      call[kind].map(
        (problem) =>
          `${call.method} ${call.path} (${call.operationId ?? "no operation"}): ${problem}`,
      ),
    );
  }

  clear(): void {
    this.recorded.length = 0;
  }
}
