/**
 * The built package (dist/, made by `npm run build`, which `npm test` runs first), loaded in a
 * separate Node process through `import` and through `require`, main entry and `./core`: results
 * agree with the independent float64 reference within 2e-5 (max abs error / max abs value) on
 * shapes and strided views that no other test uses, and `./core` never loads scijs ndarray.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  SEError,
  SEShapeError,
  SETypeError,
  SEWorkspace,
  Tape,
  createSEParams,
  seParamVariables,
  squeezeExcitation,
  type SEOptions,
} from '../src/core.js';
import {
  gradientError,
  params64,
  refOptions,
  relativeError,
  seReference,
  seReferenceGradients,
  seededUniform,
  uniformFloat32,
  uniformSEParams,
} from '../src/testing/index.js';
import { requireBuild } from './build.js';

const ROOT = resolve(__dirname, '..');
const TOL = 2e-5;

interface DistCase {
  name: string;
  shape: number[];
  /** Strides of the view into a larger buffer, and its offset. */
  stride: number[];
  offset: number;
  dataLength: number;
  options: SEOptions;
  bias: boolean;
  R: number;
}

// Shapes not used elsewhere in the suite; strided (transposed / stepped / offset) views.
const CASES: DistCase[] = [
  { name: 'rank-2 spatial, transposed storage', shape: [3, 12, 5, 7], stride: [420, 1, 84, 12], offset: 0, dataLength: 1260, options: {}, bias: true, R: 3 },
  { name: 'rank-1 spatial, stepped with offset, no bias', shape: [2, 10, 9], stride: [200, 20, 2], offset: 5, dataLength: 410, options: {}, bias: false, R: 5 },
  { name: 'rank-3 spatial, reversed axis', shape: [1, 6, 2, 3, 4], stride: [144, 24, 12, 4, -1], offset: 3, dataLength: 150, options: {}, bias: true, R: 2 },
  {
    name: 'channels-last max/silu/hardSigmoid',
    shape: [2, 4, 5, 9],
    stride: [200, 45, 9, 1],
    offset: 2,
    dataLength: 402,
    options: { layout: 'channels-last', squeeze: 'max', activation: 'silu', gate: 'hardSigmoid' },
    bias: true,
    R: 4,
  },
];

function gatherView(data: Float32Array, shape: number[], stride: number[], offset: number): Float32Array {
  const out: number[] = [];
  const walk = (k: number, base: number): void => {
    if (k === shape.length) {
      out.push(data[base]);
      return;
    }
    for (let i = 0; i < shape[k]; i++) walk(k + 1, base + i * stride[k]);
  };
  walk(0, offset);
  return Float32Array.from(out);
}


describe('the built package', () => {
  beforeAll(() => requireBuild());
  const dir = mkdtempSync(join(tmpdir(), 'se-kernels-dist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(CASES.flatMap((c) => (['require', 'import'] as const).flatMap((how) => (['se-kernels', 'se-kernels/core'] as const).map((entry) => [c.name, how, entry, c] as const))))(
    '%s via %s %s',
    (_name, how, entry, c) => {
      const rand = seededUniform(c.dataLength * 31 + c.R);
      const C = c.options.layout === 'channels-last' ? c.shape[c.shape.length - 1] : c.shape[1];
      const params = uniformSEParams(C, c.R, c.bias, rand, 1);
      const xData = uniformFloat32(c.dataLength, rand, -2, 2);
      const dyData = uniformFloat32(c.dataLength, rand, -1, 1);
      const file = join(dir, `${c.dataLength}.json`);
      const arr = (a: Float32Array | null) => (a === null ? null : Array.from(a));
      writeFileSync(
        file,
        JSON.stringify({
          x: { data: arr(xData), shape: c.shape, stride: c.stride, offset: c.offset },
          dy: { data: arr(dyData), shape: c.shape, stride: c.stride, offset: c.offset },
          params: { channels: C, hidden: c.R, w1: arr(params.w1), b1: arr(params.b1), w2: arr(params.w2), b2: arr(params.b2) },
          options: c.options,
        }),
      );
      const stdout = execFileSync(process.execPath, [join(ROOT, 'test/fixtures/run-dist.cjs'), file, how, entry], { cwd: ROOT, encoding: 'utf8' });
      const r = JSON.parse(stdout);
      // Independent reference on the dense values the view addresses.
      const x = gatherView(xData, c.shape, c.stride, c.offset);
      const dy = gatherView(dyData, c.shape, c.stride, c.offset);
      const ro = refOptions(c.options);
      const ref = seReference(x, c.shape, params64(params), ro);
      const num = seReferenceGradients(x, c.shape, params, ro, Float64Array.from(dy));
      expect(r.y.shape).toEqual(c.shape);
      expect(relativeError(r.y.data, ref.y)).toBeLessThanOrEqual(TOL);
      expect(gradientError(r.dx.data, num.dx)).toBeLessThanOrEqual(TOL);
      expect(gradientError(r.dw1.data, num.dw1)).toBeLessThanOrEqual(TOL);
      expect(gradientError(r.dw2.data, num.dw2)).toBeLessThanOrEqual(TOL);
      if (c.bias) {
        expect(gradientError(r.db1.data, num.db1!)).toBeLessThanOrEqual(TOL);
        expect(gradientError(r.db2.data, num.db2!)).toBeLessThanOrEqual(TOL);
      } else {
        expect([r.db1, r.db2]).toEqual([null, null]);
      }
      // Main entry: scijs ndarrays; ./core: plain tensors, and ndarray never loaded.
      expect(r.y.isNdArray).toBe(entry === 'se-kernels');
      if (entry === 'se-kernels/core' && how === 'require') expect(r.ndarrayLoaded).toBe(false);
    },
  );

  test('the ESM ./core module graph never imports ndarray', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        expect({ file, spec, bare: !spec.startsWith('.') }).toEqual({ file, spec, bare: false });
        visit(resolve(file, '..', spec));
      }
    };
    visit(join(ROOT, 'dist/esm/core.js'));
    expect(seen.size).toBeGreaterThan(5);
  });

  test('classes are recognised across copies of the package (src and the CJS build together)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const other = require(join(ROOT, 'dist/cjs/index.js')) as typeof import('../src/index.js');
    const tape = new other.Tape();
    expect(tape instanceof Tape).toBe(true);
    expect(new other.SEShapeError('m') instanceof SEError).toBe(true);
    expect(new other.SEShapeError('m') instanceof SEShapeError).toBe(true);
    expect(new other.SEShapeError('m') instanceof SETypeError).toBe(false);
    expect(new other.SEWorkspace() instanceof SEWorkspace).toBe(true);
    // A variable made by one copy goes through the other copy's ops and SE block.
    const params = createSEParams({ channels: 3, hidden: 1 });
    const x = tape.variable({ data: new Float32Array(6).fill(0.5), shape: [1, 3, 2] });
    const y = squeezeExcitation(x, seParamVariables(tape, params));
    expect(y.shape).toEqual([1, 3, 2]);
    expect(({}) instanceof Tape).toBe(false);
  });

  test('ESM and CJS builds and type declarations exist for both entries', () => {
    for (const f of ['esm/index.js', 'esm/core.js', 'esm/index.d.ts', 'esm/core.d.ts', 'cjs/index.js', 'cjs/core.js', 'cjs/package.json']) {
      expect(existsSync(join(ROOT, 'dist', f))).toBe(true);
    }
    expect(readdirSync(join(ROOT, 'dist/esm/kernels')).some((f) => f.endsWith('.d.ts'))).toBe(true);
  });
});
