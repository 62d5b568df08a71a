// Seeded randomness for the traffic simulator: one small, fast generator (sfc32, seeded through
// splitmix32) and the draws the traffic model needs, so a seed gives the same traffic every run.

/** A source of uniform numbers in [0, 1) and the distributions drawn from it. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number;
  /** Poisson with the given mean (Knuth's product for small means, PTRS above). */
  poisson(mean: number): number;
  /** Binomial: successes in `trials` with probability `p` each. */
  binomial(trials: number, p: number): number;
  /** An independent generator derived from this one's seed and a name (a stream per purpose). */
  fork(name: string): Random;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashName(seed: number, name: string): number {
  let hash = (seed ^ 0x811c9dc5) >>> 0;
  for (let index = 0; index < name.length; index++)
    hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193) >>> 0;
  return hash;
}

/** sfc32 (Chris Doty-Humphrey's small fast chaotic generator), 32-bit state words. */
function sfc32(seed: number): () => number {
  const mix = splitmix32(seed);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = 1;
  const step = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let index = 0; index < 12; index++) step();
  return () => step() / 4294967296;
}

/** log(k!) by Stirling's series above 10, exactly below. */
function logFactorial(k: number): number {
  if (k < 10) {
    let value = 0;
    for (let i = 2; i <= k; i++) value += Math.log(i);
    return value;
  }
  const kk = k + 1;
  return (
    (kk - 0.5) * Math.log(kk) -
    kk +
    0.5 * Math.log(2 * Math.PI) +
    1 / (12 * kk) -
    1 / (360 * kk ** 3)
  );
}

/** Hörmann's PTRS (transformed rejection with squeeze) for Poisson means of 10 and more. */
function poissonPtrs(uniform: () => number, mean: number): number {
  const slam = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = uniform() - 0.5;
    const v = uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const lhs = Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b);
    if (lhs <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

export function createRandom(seed: number): Random {
  const uniform = sfc32(seed);
  let spare: number | undefined;
  const random: Random = {
    next: uniform,
    normal() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      const u = 1 - uniform();
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    exponential: (rate) => -Math.log(1 - uniform()) / rate,
    poisson(mean) {
      if (!(mean > 0)) return 0;
      if (mean >= 10) return poissonPtrs(uniform, mean);
      const limit = Math.exp(-mean);
      let product = uniform();
      let count = 0;
      while (product > limit) {
        count += 1;
        product *= uniform();
      }
      return count;
    },
    binomial(trials, p) {
      if (trials <= 0 || p <= 0) return 0;
      if (p >= 1) return trials;
      let successes = 0;
      for (let i = 0; i < trials; i++) if (uniform() < p) successes += 1;
      return successes;
    },
    fork: (name) => createRandom(hashName(seed, name)),
  };
  return random;
}
