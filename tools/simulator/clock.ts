// How the simulator maps the times a client sends (wall-clock milliseconds) to its virtual time.
// A gate under test runs with a sub-second interval; each distinct evaluation time it sends (an
// instant query's `time`, a range query's `end`) is one round, and every round advances the
// virtual clock by exactly one virtual interval, however late the client's timer fired. Other
// times (a range's `start`) keep their distance to the round they precede, scaled.

export interface TimeMapping {
  /** Virtual milliseconds per wall-clock millisecond: scales durations written in queries too. */
  readonly scale: number;
  /** The virtual time of an evaluation time (an instant query's time, a range query's end). */
  anchor(wallMs: number): number;
  /** The virtual time of any other time (a range query's start), relative to the rounds. */
  relative(wallMs: number): number;
}

/** Times are virtual times already (tests query the model at chosen times). */
export const identityClock: TimeMapping = {
  scale: 1,
  anchor: (wallMs) => wallMs,
  relative: (wallMs) => wallMs,
};

export interface RoundClockOptions {
  /** The client's interval between rounds, wall-clock milliseconds. */
  wallIntervalMs: number;
  /** The interval it stands for, virtual milliseconds. */
  virtualIntervalMs: number;
  /** Virtual time of the first round. */
  firstRoundMs: number;
}

/** Times within a millisecond are the same round (they travel as decimal seconds). */
const SAME_MS = 0.5;

export function roundClock(options: RoundClockOptions): TimeMapping & { rounds(): number } {
  const scale = options.virtualIntervalMs / options.wallIntervalMs;
  const rounds: number[] = [];
  const virtualOf = (index: number) => options.firstRoundMs + index * options.virtualIntervalMs;
  const relative = (wallMs: number): number => {
    let index = rounds.length - 1;
    while (index > 0 && rounds[index]! > wallMs + SAME_MS) index -= 1;
    if (index < 0) return options.firstRoundMs;
    return virtualOf(index) + (wallMs - rounds[index]!) * scale;
  };
  return {
    scale,
    rounds: () => rounds.length,
    anchor(wallMs) {
      const last = rounds.at(-1);
      if (last === undefined || wallMs > last + SAME_MS) {
        rounds.push(wallMs);
        return virtualOf(rounds.length - 1);
      }
      const known = rounds.findIndex((round) => Math.abs(round - wallMs) <= SAME_MS);
      return known >= 0 ? virtualOf(known) : relative(wallMs);
    },
    relative,
  };
}
