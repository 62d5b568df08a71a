// The traffic model behind the simulator's metrics: a service's requests split between versions,
// each version a Poisson process of arrivals with binomial errors and log-normal latencies, and a
// slow drift (an Ornstein-Uhlenbeck process on the log of traffic, error rate and latency) shared
// by every version, as time of day and load move a real service. Each version's process is
// scraped into counters and classic histogram buckets as prom-client exposes them.
import { createRandom, type Random } from "./random.js";
import { SeriesStore, type SampleSource, type StoredSeries } from "./store.js";
import type { Matcher } from "./promql.js";

/** The lab's buckets (lab/lib/demo-service.mjs), so simulated and lab queries read alike. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface VersionProfile {
  /** The `version` label. */
  version: string;
  /** Share of the service's requests this version answers, 0 to 1. */
  share: number;
  /** Probability that a request fails (code 500). */
  errorRate: number;
  /** Median latency in seconds (log-normal). */
  latencyMedian: number;
  /** Standard deviation of the log of latency. */
  latencySigma: number;
  /** Requests served before the data begin (a long-running version's counters start there); 0 for a new one. */
  priorRequests?: number;
}

export interface DriftProfile {
  /** Correlation time of the drift, seconds. */
  tauSeconds: number;
  /** Stationary standard deviation of the log factor on traffic, error rate and latency. */
  traffic: number;
  errors: number;
  latency: number;
}

export interface TrafficScenario {
  seed: number;
  /** The service's requests per second over all versions, before drift. */
  requestsPerSecond: number;
  versions: readonly VersionProfile[];
  drift?: DriftProfile;
  /** Virtual time the data begin, milliseconds. */
  startMs: number;
  /** Time between scrapes of each version, virtual milliseconds (default 5 s). */
  scrapeIntervalMs?: number;
  /** Histogram bucket bounds in seconds, ascending, without +Inf. */
  buckets?: readonly number[];
  route?: string;
}

/** Generation step: arrivals, errors and latencies are drawn per second of virtual time. */
const TICK_MS = 1_000;

interface CodeTotals {
  requests: number;
  buckets: number[];
  sum: number;
}

interface VersionState {
  profile: VersionProfile;
  random: Random;
  codes: Map<string, CodeTotals>;
  nextScrape: number;
  resets: number[];
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 through erf; error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Samples of a scenario's metrics, generated as far as they are read. */
export class TrafficModel implements SampleSource {
  readonly store = new SeriesStore();
  private readonly versions: VersionState[];
  private readonly drift: Random;
  private readonly buckets: readonly number[];
  private readonly scrapeMs: number;
  private nextTick: number;
  private logFactors = { traffic: 0, errors: 0, latency: 0 };

  constructor(readonly scenario: TrafficScenario) {
    const root = createRandom(scenario.seed);
    this.drift = root.fork("drift");
    this.buckets = scenario.buckets ?? DEFAULT_BUCKETS;
    this.scrapeMs = scenario.scrapeIntervalMs ?? 5_000;
    this.nextTick = scenario.startMs;
    const spread = scenario.drift;
    if (spread)
      this.logFactors = {
        traffic: spread.traffic * this.drift.normal(),
        errors: spread.errors * this.drift.normal(),
        latency: spread.latency * this.drift.normal(),
      };
    this.versions = scenario.versions.map((profile) => {
      const random = root.fork(`version:${profile.version}`);
      const phase = Math.floor(random.next() * this.scrapeMs);
      return {
        profile,
        random,
        codes: this.priorTotals(profile),
        nextScrape: scenario.startMs + phase,
        resets: [],
      };
    });
  }

  /** The version's process restarts at `atMs`: its counters start again from zero. */
  reset(version: string, atMs: number): void {
    const state = this.versions.find((candidate) => candidate.profile.version === version);
    if (!state) throw new Error(`no version ${version} in the scenario`);
    state.resets.push(atMs);
    state.resets.sort((a, b) => a - b);
  }

  select(matchers: readonly Matcher[], until: number): readonly StoredSeries[] {
    this.advanceTo(until);
    return this.store.select(matchers);
  }

  /** Generates traffic and scrapes up to `time` (virtual milliseconds). */
  advanceTo(time: number): void {
    while (this.nextTick <= time) {
      const tickEnd = this.nextTick + TICK_MS;
      // A scrape within this tick sees every tick that ended before it.
      for (const state of this.versions) this.scrapeBefore(state, tickEnd);
      this.stepDrift();
      for (const state of this.versions) this.serve(state, this.nextTick);
      this.nextTick = tickEnd;
    }
  }

  /** Totals of a version that has served `priorRequests` before the data begin (expected values). */
  private priorTotals(profile: VersionProfile): Map<string, CodeTotals> {
    const codes = new Map<string, CodeTotals>();
    const prior = profile.priorRequests ?? 0;
    if (prior <= 0) return codes;
    const meanLatency = profile.latencyMedian * Math.exp(profile.latencySigma ** 2 / 2);
    const fractions = this.buckets.map((upper) =>
      normalCdf(Math.log(upper / profile.latencyMedian) / profile.latencySigma),
    );
    for (const [code, requests] of [
      ["200", Math.round(prior * (1 - profile.errorRate))],
      ["500", Math.round(prior * profile.errorRate)],
    ] as const) {
      if (requests > 0)
        codes.set(code, {
          requests,
          buckets: fractions.map((fraction) => Math.round(requests * fraction)),
          sum: requests * meanLatency,
        });
    }
    return codes;
  }

  private stepDrift(): void {
    const spread = this.scenario.drift;
    if (!spread) return;
    const keep = Math.exp(-TICK_MS / 1000 / spread.tauSeconds);
    const fresh = Math.sqrt(1 - keep * keep);
    this.logFactors = {
      traffic: this.logFactors.traffic * keep + spread.traffic * fresh * this.drift.normal(),
      errors: this.logFactors.errors * keep + spread.errors * fresh * this.drift.normal(),
      latency: this.logFactors.latency * keep + spread.latency * fresh * this.drift.normal(),
    };
  }

  /** One second of a version's requests: Poisson arrivals, binomial errors, log-normal latencies. */
  private serve(state: VersionState, at: number): void {
    while (state.resets.length > 0 && state.resets[0]! <= at) {
      state.resets.shift();
      for (const totals of state.codes.values()) {
        totals.requests = 0;
        totals.buckets.fill(0);
        totals.sum = 0;
      }
    }
    const { profile, random } = state;
    const mean =
      this.scenario.requestsPerSecond *
      profile.share *
      Math.exp(this.logFactors.traffic) *
      (TICK_MS / 1000);
    const requests = random.poisson(mean);
    const errorRate = Math.min(1, profile.errorRate * Math.exp(this.logFactors.errors));
    const errors = random.binomial(requests, errorRate);
    const median = profile.latencyMedian * Math.exp(this.logFactors.latency);
    this.observe(state, "500", errors, median);
    this.observe(state, "200", requests - errors, median);
  }

  private observe(state: VersionState, code: string, requests: number, median: number): void {
    if (requests === 0) return;
    let totals = state.codes.get(code);
    if (!totals) {
      totals = { requests: 0, buckets: this.buckets.map(() => 0), sum: 0 };
      state.codes.set(code, totals);
    }
    const sigma = state.profile.latencySigma;
    for (let index = 0; index < requests; index++) {
      const latency = median * Math.exp(sigma * state.random.normal());
      totals.sum += latency;
      for (
        let bucket = this.buckets.length - 1;
        bucket >= 0 && latency <= this.buckets[bucket]!;
        bucket--
      )
        totals.buckets[bucket]! += 1;
    }
    totals.requests += requests;
  }

  /** Scrapes the version at every scrape time before `time`: what it has served so far. */
  private scrapeBefore(state: VersionState, time: number): void {
    while (state.nextScrape < time) {
      this.scrape(state, state.nextScrape);
      state.nextScrape += this.scrapeMs;
    }
  }

  private scrape(state: VersionState, at: number): void {
    const route = this.scenario.route ?? "/api/work";
    const { version } = state.profile;
    for (const [code, totals] of state.codes) {
      const labels = { version, route, code };
      this.store.append({ __name__: "http_requests_total", ...labels }, at, totals.requests);
      const histogram = "http_request_duration_seconds";
      this.buckets.forEach((upper, index) =>
        this.store.append(
          { __name__: `${histogram}_bucket`, ...labels, le: String(upper) },
          at,
          totals.buckets[index]!,
        ),
      );
      this.store.append(
        { __name__: `${histogram}_bucket`, ...labels, le: "+Inf" },
        at,
        totals.requests,
      );
      this.store.append({ __name__: `${histogram}_count`, ...labels }, at, totals.requests);
      this.store.append({ __name__: `${histogram}_sum`, ...labels }, at, totals.sum);
    }
  }
}
