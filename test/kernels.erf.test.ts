/**
 * The error function family (src/kernels/erf.ts: erf, erfc, erfcx, normalCdf, normalPdf) and the
 * tests' own float64 reference erf/erfc (src/testing/reference.ts: a series and a continued
 * fraction, sharing no method with the kernels' fitted polynomials), each against known values and
 * against each other.
 *
 * Known values: mpmath 1.2 at 40 digits, rounded to the nearest float64 (the last digit printed
 * by `repr(float(v))`). Tolerances, relative, with 2^-52 = 2.2e-16 one float64 ulp:
 * - kernels vs known values: 8e-16 (the measured worst over 7,000 mpmath points is 2.7 ulps, 6e-16);
 * - reference vs known values: 3e-15 for erfc (`1 - erf` just below 1 costs up to 11 ulps), 1e-15 for erf;
 * - kernels vs reference on random arguments: 4e-15 (the sum of the two).
 */
import { fc, test } from '@fast-check/jest';
import { erf, erfc, erfcx, normalCdf, normalPdf } from '../src/kernels/index.js';
import { erfReference, erfcReference } from '../src/testing/reference.js';
import { RUNS } from './kernelReference.js';

/** |got - want| <= rel |want|, with NaN only matching NaN and infinities only themselves. */
function expectRel(got: number, want: number, rel: number, what: string): void {
  const ok = Number.isNaN(want) ? Number.isNaN(got) : got === want || Math.abs(got - want) <= rel * Math.abs(want);
  if (!ok) throw new Error(`${what}: got ${got}, expected ${want} (relative error ${Math.abs(got - want) / Math.abs(want)}, bound ${rel})`);
}

const KERNEL = 8e-16;

/** Uniform on [lo, hi) with full 53-bit significands (fc.double favours short, dyadic values, whose squares are exact). */
const uniform = (lo: number, hi: number) => fc.integer({ min: 0, max: 2 ** 53 - 1 }).map((k) => lo + (hi - lo) * (k / 2 ** 53));

// [x, value] from mpmath.
const ERF: [number, number][] = [
  [1e-300, 1.1283791670955126e-300],
  [1e-10, 1.1283791670955126e-10],
  [0.1, 0.1124629160182849],
  [0.25, 0.27632639016823696],
  [0.4999999999999999, 0.5204998778130464],
  [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3, 0.9999779095030014],
  [3.9, 0.9999999652077514],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [5.9, 0.9999999999999999],
];
const ERFC: [number, number][] = [
  [-3, 1.9999779095030015],
  [-1, 1.8427007929497148],
  [-0.3, 1.3286267594591274],
  [0, 1],
  [0.3, 0.6713732405408726],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2, 0.004677734981047266],
  [3, 2.209049699858544e-5],
  [4, 1.541725790028002e-8],
  [5, 1.537459794428035e-12],
  [6, 2.1519736712498913e-17],
  [10, 2.088487583762545e-45],
  [15, 7.212994172451207e-100],
  [20, 5.395865611607901e-176],
  [26, 5.663192408856143e-296],
  // Arguments with a full 53-bit significand, whose square is not a float64.
  [0.7, 0.32219880616258156],
  [1.1, 0.11979493042591827],
  [3.7, 1.6715105790914599e-7],
  [5.55, 4.197513816747158e-15],
  [10.3, 4.5947618530992265e-48],
  [20.1, 9.735977140428878e-178],
  [26.333333333333332, 1.4842631931189906e-303],
];
const ERFCX: [number, number][] = [
  [-26, 7.657724931490568e293],
  [-5, 144009798674.66104],
  [-1, 5.008980080762283],
  [-0.2, 1.2726020284831958],
  [0, 1],
  [0.5, 0.6156903441929259],
  [1, 0.427583576155807],
  [2, 0.25539567631050575],
  [3.999999999999999, 0.1369994576250614],
  [4, 0.13699945762506138],
  [10, 0.05614099274382259],
  [100, 0.005641613782989433],
  [1e10, 5.641895835477563e-11],
  [1e300, 5.641895835477563e-301],
];
const NORMAL_CDF: [number, number][] = [
  [-37, 5.725571222524577e-300],
  [-30, 4.906713927148187e-198],
  [-20, 2.7536241186062337e-89],
  [-10, 7.619853024160525e-24],
  [-5, 2.866515718791939e-7],
  [-3, 0.0013498980316300946],
  [-1, 0.15865525393145705],
  [-0.5, 0.3085375387259869],
  [0, 0.5],
  [0.5, 0.6914624612740131],
  [1, 0.8413447460685429],
  [3, 0.9986501019683699],
  [5, 0.9999997133484281],
  [8.5, 1],
  [-2.2, 0.013903447513498604],
  [-9.1, 4.5165914914354566e-20],
  [-20.3, 6.429244467698346e-92],
];
const NORMAL_PDF: [number, number][] = [
  [-10, 7.694598626706419e-23],
  [-1, 0.24197072451914334],
  [0, 0.3989422804014327],
  [0.5, 0.35206532676429947],
  [3, 0.0044318484119380075],
  [20, 5.520948362159764e-88],
  [-2.2, 0.03547459284623142],
  [-9.1, 4.1585989791151486e-19],
  [-20.3, 1.308288554681529e-90],
];

describe('known values (mpmath)', () => {
  test('the values the brief names: erf(0.5), erf(1), erf(2), erfc(5), for the kernels and the reference', () => {
    for (const f of [erf, erfReference]) {
      expectRel(f(0.5), 0.5204998778130465, KERNEL, 'erf(0.5)');
      expectRel(f(1), 0.8427007929497149, KERNEL, 'erf(1)');
      expectRel(f(2), 0.9953222650189527, KERNEL, 'erf(2)');
    }
    expectRel(erfc(5), 1.5374597944280349e-12, KERNEL, 'erfc(5)');
    expectRel(erfcReference(5), 1.5374597944280349e-12, 3e-15, 'erfcReference(5)');
  });

  test.each(ERF)('erf(%p) = %p, and erf(-x) = -erf(x) exactly', (x, want) => {
    expectRel(erf(x), want, KERNEL, `erf(${x})`);
    expect(erf(-x)).toBe(-erf(x));
    expectRel(erfReference(x), want, 1e-15, `erfReference(${x})`);
    expectRel(erfReference(-x), -want, 1e-15, `erfReference(${-x})`);
  });

  test.each(ERFC)('erfc(%p) = %p', (x, want) => {
    expectRel(erfc(x), want, KERNEL, `erfc(${x})`);
    expectRel(erfcReference(x), want, 3e-15, `erfcReference(${x})`);
  });

  test.each(ERFCX)('erfcx(%p) = %p', (x, want) => {
    expectRel(erfcx(x), want, KERNEL, `erfcx(${x})`);
  });

  test.each(NORMAL_CDF)('normalCdf(%p) = %p (the lower tail keeps its digits)', (x, want) => {
    expectRel(normalCdf(x), want, KERNEL, `normalCdf(${x})`);
  });

  test.each(NORMAL_PDF)('normalPdf(%p) = %p', (x, want) => {
    expectRel(normalPdf(x), want, KERNEL, `normalPdf(${x})`);
    expect(normalPdf(-x)).toBe(normalPdf(x));
  });
});

describe('special values', () => {
  test('zeros, infinities and NaN', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect([erf(Infinity), erf(-Infinity), erf(1e300), erf(-1e300)]).toEqual([1, -1, 1, -1]);
    expect([erfc(Infinity), erfc(-Infinity), erfc(27.3), erfc(-27.3), erfc(1e300)]).toEqual([0, 2, 0, 2, 0]);
    expect([erfcx(Infinity), erfcx(-Infinity), erfcx(-27)]).toEqual([0, Infinity, Infinity]);
    expect([normalCdf(-Infinity), normalCdf(Infinity), normalCdf(-39), normalCdf(1e300)]).toEqual([0, 1, 0, 1]);
    expect([normalPdf(Infinity), normalPdf(-Infinity), normalPdf(39)]).toEqual([0, 0, 0]);
    for (const f of [erf, erfc, erfcx, normalCdf, normalPdf, erfReference, erfcReference]) expect(f(NaN)).toBeNaN();
    expect(erfReference(Infinity)).toBe(1);
    expect(erfcReference(-Infinity)).toBe(2);
  });

  test('tiny arguments: erf(x) = 2x / sqrt(pi), subnormals included; erfc(tiny) = 1; Phi(tiny) = 1/2', () => {
    for (const x of [1e-200, 2.5e-308, 5e-324, -1e-20]) {
      expectRel(erf(x), (2 / Math.sqrt(Math.PI)) * x, x < 2.3e-308 && x > 0 ? 0.5 : KERNEL, `erf(${x})`);
      expect(erfc(x)).toBe(1);
      expect(normalCdf(x)).toBe(0.5);
    }
  });

  test('no jump at the polynomial boundaries (0.5, 1, 1.5, ..., 4 for erfc; sqrt 2 times those for Phi): the values on either side agree', () => {
    for (let b = 0.5; b <= 4; b += 0.5) {
      const below = b - b * 2 ** -52;
      // Two evaluations, each within KERNEL, plus the function's own change over the step.
      for (const f of [erfc, erfcx, erf]) expectRel(f(below), f(b), 2 * KERNEL + 2 ** -52 * (4 * b * b + 2), `${f.name} at ${b}`);
      const p = b * Math.SQRT2;
      expectRel(normalCdf(-p * (1 - 2 ** -52)), normalCdf(-p), 2 * KERNEL + 2 ** -52 * (p * p + 2), `normalCdf at ${-p}`);
    }
  });
});

describe('identities', () => {
  test.prop([fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), uniform(-10, 10))], RUNS)(
    'erf(x) + erfc(x) = 1, erfc(x) + erfc(-x) = 2, Phi(x) + Phi(-x) = 1 (2e-15 absolute), Phi(x) = erfc(-x / sqrt 2) / 2 (2e-15 relative + x^2 ulps)',
    (x) => {
      expect(Math.abs(erf(x) + erfc(x) - 1)).toBeLessThanOrEqual(2e-15);
      expect(Math.abs(erfc(x) + erfc(-x) - 2)).toBeLessThanOrEqual(2e-15);
      expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThanOrEqual(2e-15);
      // The rounding of x / sqrt 2 moves erfc by about 2 z^2 ulps of z (z = x / sqrt 2).
      expectRel(normalCdf(x), 0.5 * erfc(-x * Math.SQRT1_2), 2e-15 + x * x * 2 ** -52, `Phi(${x})`);
    },
  );

  test.prop([uniform(0.5, 26)], RUNS)(
    'erfcx(x) = exp(x^2) erfc(x) and erfc(x) = exp(-x^2) erfcx(x), to the rounding of x^2 (x^2 * 2^-52)',
    (x) => {
      expectRel(erfcx(x) * Math.exp(-x * x), erfc(x), 2e-15 + x * x * 2 ** -52, `erfcx(${x})`);
    },
  );

  test.prop([fc.double({ min: 0, max: 38, noNaN: true })], RUNS)(
    "the density is Phi's derivative: central differences of normalCdf in the lower tail match normalPdf (1e-7 + truncation)",
    (a) => {
      const x = -a; // the lower tail, where Phi has relative precision
      const h = 1e-5;
      const cd = (normalCdf(x + h) - normalCdf(x - h)) / (2 * h);
      // The difference quotient is phi (1 + h^2 (x^2 - 1) / 6 + O(h^4 x^4)).
      expectRel(cd, normalPdf(x), 1e-7 + (h * h * Math.abs(x * x - 1)) / 6, `phi(${x})`);
    },
  );
});

describe('kernels against the reference', () => {
  test.prop([fc.oneof(fc.double({ min: -6, max: 6, noNaN: true }), uniform(-6, 6))], RUNS)('erf agrees with the series/continued-fraction erf (4e-15 relative)', (x) => {
    expectRel(erf(x), erfReference(x), 4e-15, `erf(${x})`);
  });

  test.prop([fc.oneof(fc.double({ min: -27, max: 27, noNaN: true }), uniform(-27, 27))], RUNS)(
    'erfc agrees with the reference over [-27, 27], down to 1e-317 (4e-15 relative while normal float64)',
    (x) => {
      const want = erfcReference(x);
      if (want < 2.3e-308) expect(Math.abs(erfc(x) - want)).toBeLessThanOrEqual(1e-323);
      else expectRel(erfc(x), want, 4e-15, `erfc(${x})`);
    },
  );

  test.prop([fc.float({ min: -38, max: 38, noNaN: true })], RUNS)(
    'Phi on float32 arguments (the kernels) agrees with erfcReference(-x / sqrt 2) / 2 to 4e-15 + x^2 ulps',
    (x) => {
      const want = 0.5 * erfcReference(-x * Math.SQRT1_2);
      if (want < 2.3e-308) expect(Math.abs(normalCdf(x) - want)).toBeLessThanOrEqual(1e-323);
      else expectRel(normalCdf(x), want, 4e-15 + x * x * 2 ** -52, `Phi(${x})`);
    },
  );

  test('a dense sweep of [-6, 6] and of the tail [6, 27] in steps of 1/1024 and 1/64: worst relative difference below 4e-15', () => {
    let worst = 0;
    const note = (got: number, want: number) => {
      if (want > 2.3e-308) worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
    };
    for (let i = -6 * 1024; i <= 6 * 1024; i++) {
      const x = i / 1024;
      note(erf(x), erfReference(x));
      note(erfc(x), erfcReference(x));
    }
    for (let x = 6; x <= 27; x += 1 / 64) note(erfc(x), erfcReference(x));
    expect(worst).toBeLessThan(4e-15);
    expect(worst).toBeGreaterThan(0); // two different methods do not agree to the bit everywhere
  });
});
