// The standard normal distribution as R computes it: the upper tail (W. J. Cody's algorithm, as in
// R's pnorm) and the quantile function (Wichura's AS 241, as in R's qnorm), so that p-values and
// interval bounds match R's to the last digits.

const SQRT_32 = 5.656854249492381;
const ONE_OVER_SQRT_2PI = 0.3989422804014327;

/** Horner evaluation, highest coefficient first. */
function horner(coefficients: readonly number[], r: number): number {
  let value = 0;
  for (const c of coefficients) value = value * r + c;
  return value;
}

/** R's exp(-y²/2) split so the square does not lose bits (its do_del). */
function gaussianFactor(y: number): number {
  const head = Math.trunc(y * 16) / 16;
  const del = (y - head) * (y + head);
  return Math.exp(-head * head * 0.5) * Math.exp(-del * 0.5);
}

/** Cody's coefficient pairs (numerator, denominator) for |y| up to 0.67448975. */
const CODY_CENTRE: readonly CodyPair[] = [
  [2.2352520354606837, 47.202581904688245],
  [161.02823106855587, 976.0985517377767],
  [1067.6894854603709, 10260.932208618979],
];
/** Cody's pairs for 0.67448975 < y <= sqrt(32). */
const CODY_MIDDLE: readonly CodyPair[] = [
  [0.39894151208813466, 22.266688044328117],
  [8.883149794388377, 235.387901782625],
  [93.50665613217785, 1519.3775994075547],
  [597.2702763948002, 6485.558298266761],
  [2494.5375852903726, 18615.571640885097],
  [6848.190450536283, 34900.95272114598],
  [11602.65143764735, 38912.00328609327],
];
/** Cody's pairs for sqrt(32) < y < 37.5193, in powers of 1/y². */
const CODY_TAIL: readonly CodyPair[] = [
  [0.215898534057957, 1.284260096144911],
  [0.12740116116024736, 0.4682382124808651],
  [0.022235277870649807, 0.06598813786892856],
  [0.0014216191932278934, 0.0037823963320275824],
];

type CodyPair = readonly [numerator: number, denominator: number];

/**
 * Numerator and denominator of one of Cody's rational approximations, each folded in R's order
 * (start from `first * x` and `x`, then add a coefficient and multiply by x) so the bits match R.
 */
function codySums(first: number, pairs: readonly CodyPair[], x: number): [number, number] {
  let num = first * x;
  let den = x;
  for (const [a, b] of pairs) {
    num = (num + a) * x;
    den = (den + b) * x;
  }
  return [num, den];
}

/** P(Z > y) for y >= 0: Cody's rational approximations (ACM TOMS 715), as R's pnorm uses them. */
export function normalUpperTail(y: number): number {
  if (y <= 0.67448975) {
    const [num, den] = codySums(0.06568233791820745, CODY_CENTRE, y > 2 ** -53 ? y * y : 0);
    return 0.5 - (y * (num + 18154.98125334356)) / (den + 45507.78933502673);
  }
  if (y <= SQRT_32) {
    const [num, den] = codySums(1.0765576773720192e-8, CODY_MIDDLE, y);
    return gaussianFactor(y) * ((num + 9842.714838383978) / (den + 19685.429676859992));
  }
  if (y < 37.5193) {
    const ysq = 1 / (y * y);
    const [num, den] = codySums(0.023073441764940174, CODY_TAIL, ysq);
    const ratio = (ysq * (num + 0.000029112874951168793)) / (den + 0.00007297515550839662);
    return gaussianFactor(y) * ((ONE_OVER_SQRT_2PI - ratio) / y);
  }
  return 0;
}

/** Standard normal quantile of p (of 1 - p when lowerTail is false): Wichura's AS 241, as in R. */
export function normalQuantile(p: number, lowerTail: boolean): number {
  const lowerP = lowerTail ? p : 0.5 - p + 0.5;
  const q = lowerP - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(AS241_A, r)) / horner(AS241_B, r);
  }
  const tail = q > 0 ? (lowerTail ? 0.5 - p + 0.5 : p) : lowerP;
  const r = Math.sqrt(-Math.log(tail));
  const value =
    r <= 5
      ? horner(AS241_C, r + -1.6) / horner(AS241_D, r + -1.6)
      : horner(AS241_E, r + -5) / horner(AS241_F, r + -5);
  return q < 0 ? -value : value;
}

const AS241_A = [
  2509.0809287301227, 33430.57558358813, 67265.7709270087, 45921.95393154987, 13731.69376550946,
  1971.5909503065513, 133.14166789178438, 3.3871328727963665,
];
const AS241_B = [
  5226.495278852854, 28729.085735721943, 39307.89580009271, 21213.794301586597, 5394.196021424751,
  687.1870074920579, 42.31333070160091, 1,
];
const AS241_C = [
  0.0007745450142783414, 0.022723844989269184, 0.2417807251774506, 1.2704582524523684,
  3.6478483247632045, 5.769497221460691, 4.630337846156546, 1.4234371107496835,
];
const AS241_D = [
  1.0507500716444169e-9, 0.0005475938084995345, 0.015198666563616457, 0.14810397642748008,
  0.6897673349851, 1.6763848301838038, 2.053191626637759, 1,
];
const AS241_E = [
  2.0103343992922881e-7, 0.000027115555687434876, 0.0012426609473880784, 0.026532189526576124,
  0.29656057182850487, 1.7848265399172913, 5.463784911164114, 6.657904643501103,
];
const AS241_F = [
  2.0442631033899397e-15, 1.421511758316446e-7, 0.000018463183175100548, 0.0007868691311456133,
  0.014875361290850615, 0.1369298809227358, 0.599832206555888, 1,
];
