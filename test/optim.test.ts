/**
 * SGD, Adam and AdamW against PyTorch 1.13's torch.optim (trajectories and final state from
 * test/fixtures/torch/optim.safetensors, made by scripts/torch/make-fixtures.py), against an
 * independent float64 reference over random options, and their rules: argument validation, the
 * all-or-nothing step, state per parameter object, grads read afresh each step, zeroGrad, lr.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { expectError } from './expectError.js';
import { createSEParams, seBackward, seForward, type SEParams } from '../src/core.js';
import { SEOptionError, SEShapeError, SEStateError, SETypeError } from '../src/errors.js';
import { readSafetensors, readSafetensorsMetadata } from '../src/interop/index.js';
import { Adam, AdamW, SGD, type OptimizerParameter } from '../src/optim/index.js';
import { fixtureBytes, float32Tensors } from './torch.fixtures.js';

/**
 * Agreement with torch, per step and per tensor: max |ours - torch| / max(1, max |torch|).
 * torch rounds to float32 after each elementary operation (5 to 8 per element and step), we round
 * once per stored value from a float64 computation, so the trajectories drift apart by float32
 * rounding only: a few ulps per step, growing like a random walk over the 20 steps and amplified
 * by the momentum buffer (at most 1/(1 - momentum) = 10x). Measured: at most 6.2e-7 over all 24
 * cases and 20 steps (AdamW, where torch rounds once more, after `p *= 1 - lr * wd`; 3.3e-7 for
 * every other case; parameters of magnitude up to ~4, gradients up to ~30). The bound, 1e-6, is
 * about 8 float32 ulps at 1. The smallest semantic difference between two fixture cases (AdamW's
 * default decay of 1e-5 per step against none) moves a trajectory by 2e-4, 200x the bound (tested below).
 */
const TORCH_TOL = 1e-6;
/** The optimizer state at the end (momentum buffers, moments up to ~900) on the same scale: measured at most 4.2e-7. */
const STATE_TOL = 1e-6;

const bytes = fixtureBytes('optim.safetensors');
const T = float32Tensors(readSafetensors(bytes));
const meta = readSafetensorsMetadata(bytes);
const STEPS = Number(meta.steps);

interface TorchCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean | number[]>;
  lr_changes: [number, number][];
  p1_none_steps: number[];
}
const CASES: TorchCase[] = JSON.parse(meta.cases);

/** torch's keyword arguments in our names. */
function ourOptions(torchOptions: TorchCase['options']): Record<string, unknown> {
  const names: Record<string, string> = { weight_decay: 'weightDecay' };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(torchOptions)) out[names[k] ?? k] = v;
  return out;
}

// The constructors with their parameters widened, to pass fixture options and deliberately bad input without casts.
const anySGD = SGD as new (p: unknown, o?: unknown) => SGD;
const anyAdam = Adam as new (p: unknown, o?: unknown) => Adam;
const anyAdamW = AdamW as new (p: unknown, o?: unknown) => AdamW;

type Optim = SGD | Adam;
type Factory = (params: OptimizerParameter[], options: Record<string, unknown>) => Optim;
const factories: Record<TorchCase['optimizer'], Factory> = {
  SGD: (p, o) => new anySGD(p, o),
  Adam: (p, o) => new anyAdam(p, o),
  AdamW: (p, o) => new anyAdamW(p, o),
};

function rows(name: string, t: number): Float32Array {
  const tensor = T[name];
  const n = tensor.data.length / STEPS;
  return tensor.data.subarray(t * n, (t + 1) * n);
}

function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/**
 * Replays a case: torch's initial values, its 20 gradients set as `grad` before each step (fresh
 * arrays, or null on the case's None steps), its lr changes; returns the worst per-step error
 * against the trajectory of `against` (default the case itself), and the optimizer and parameters.
 */
function replay(c: TorchCase, factory: Factory = factories[c.optimizer], against: string = c.name) {
  const p0: OptimizerParameter = { data: T['p0.init'].data.slice(), grad: null };
  const p1: OptimizerParameter = { data: T['p1.init'].data.slice(), grad: null };
  const opt = factory([p0, p1], ourOptions(c.options));
  const changes = new Map(c.lr_changes);
  let worst = 0;
  for (let t = 0; t < STEPS; t++) {
    const lr = changes.get(t);
    if (lr !== undefined) opt.lr = lr;
    p0.grad = rows('p0.grads', t).slice();
    p1.grad = c.p1_none_steps.includes(t) ? null : rows('p1.grads', t).slice();
    opt.step();
    worst = Math.max(worst, scaledError(p0.data, rows(`${against}.p0`, t)), scaledError(p1.data, rows(`${against}.p1`, t)));
  }
  return { worst, opt, p0, p1 };
}

const byName = (name: string): TorchCase => {
  const c = CASES.find((k) => k.name === name);
  if (c === undefined) throw new Error(`no fixture case ${name}`);
  return c;
};

describe('trajectories match torch.optim (PyTorch 1.13)', () => {
  test('the fixture holds every case the suite expects', () => {
    expect(STEPS).toBe(20);
    const names = CASES.map((c) => c.name);
    for (const n of ['sgd', 'sgd_momentum', 'sgd_dampening', 'sgd_nesterov', 'sgd_weight_decay', 'sgd_maximize', 'sgd_lr_change',
      'sgd_none_grad', 'adam', 'adam_weight_decay', 'adam_amsgrad', 'adam_lr_change', 'adam_none_grad', 'adamw', 'adamw_default']) {
      expect(names).toContain(n);
    }
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s: parameters after every step within 1e-6', (_name, c) => {
    const { worst } = replay(c);
    expect(worst).toBeLessThanOrEqual(TORCH_TOL);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s: the final state equals torch\'s optimizer.state', (_name, c) => {
    const { opt, p0, p1 } = replay(c);
    for (const [label, p] of [['p0', p0], ['p1', p1]] as const) {
      const s = opt.state(p);
      expect(s).toBeDefined();
      const keyOf: Record<string, string> = { momentum_buffer: 'momentumBuffer', exp_avg: 'expAvg', exp_avg_sq: 'expAvgSq', max_exp_avg_sq: 'maxExpAvgSq', step: 'step' };
      const prefix = `${c.name}.${label}.state.`;
      const keys = Object.keys(T).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      // Our state has exactly torch's entries (null where torch has None: momentum 0, no amsgrad).
      const entries: Record<string, unknown> = { ...s };
      const ours = Object.entries(entries).filter(([, v]) => v !== null).map(([k]) => k).sort();
      expect(ours).toEqual(keys.map((k) => keyOf[k]).sort());
      for (const key of keys) {
        const ref = T[prefix + key].data;
        const value: unknown = entries[keyOf[key]];
        if (key === 'step') expect(value).toBe(ref[0]);
        else if (value instanceof Float32Array) expect(scaledError(value, ref)).toBeLessThanOrEqual(STATE_TOL);
        else throw new Error(`state ${keyOf[key]} is ${String(value)}`);
      }
    }
  });

  test('p1 skipped on its None steps: Adam counts its steps per parameter, as torch does', () => {
    const c = byName('adam_none_grad');
    const { opt, p0, p1 } = replay(c);
    expect(opt instanceof Adam && opt.state(p0)?.step).toBe(STEPS);
    expect(opt instanceof Adam && opt.state(p1)?.step).toBe(STEPS - c.p1_none_steps.length);
  });

  test('AdamW is Adam with decoupledWeightDecay, bit for bit; its weightDecay defaults to 0.01', () => {
    for (const name of ['adamw', 'adamw_default', 'adamw_large', 'adamw_maximize_none_grad']) {
      const c = byName(name);
      const viaAdam: Factory = (p, o) => new anyAdam(p, { ...o, decoupledWeightDecay: true, weightDecay: o.weightDecay ?? 0.01 });
      const a = replay(c);
      const b = replay(c, viaAdam);
      expect(Array.from(b.p0.data)).toEqual(Array.from(a.p0.data));
      expect(Array.from(b.p1.data)).toEqual(Array.from(a.p1.data));
    }
    const w = new AdamW([{ data: new Float32Array(1), grad: null }]);
    expect([w.weightDecay, w.decoupledWeightDecay, w.lr, w.eps, w.betas]).toEqual([0.01, true, 1e-3, 1e-8, [0.9, 0.999]]);
  });

  test('the tolerance separates neighbouring cases by over 100x', () => {
    // Our optimizer run with one case's options, compared with torch's trajectory of a case that
    // differs in one rule only.
    const pairs: [string, string][] = [
      ['sgd_momentum', 'sgd_dampening'], // dampening
      ['sgd_momentum', 'sgd_nesterov'], // Nesterov
      ['sgd_momentum', 'sgd_weight_decay'], // weight decay 0.01
      ['sgd_momentum', 'sgd_lr_change'], // the lr changes
      ['sgd_dampening', 'sgd_none_grad'], // p1's None steps
      ['adam_beta2', 'adam_amsgrad_beta2'], // AMSGrad
      ['adam_lr', 'adam_beta2'], // beta2
      ['adam_weight_decay', 'adamw'], // coupled vs decoupled decay
      ['adam', 'adamw_default'], // AdamW's default decay, 1e-5 per step
      ['adam_amsgrad', 'adam_none_grad'], // p1's None steps and per-parameter step counts
    ];
    for (const [ours, theirs] of pairs) {
      const { worst } = replay(byName(ours), undefined, theirs);
      expect({ ours, theirs, worst: worst > 100 * TORCH_TOL }).toEqual({ ours, theirs, worst: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// An independent float64 reference (all state in float64), over random options and gradients.

interface RefOptions {
  kind: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  decoupled: boolean;
  amsgrad: boolean;
}

/** torch.optim's documented algorithms, written from their pseudocode, in float64 throughout. */
function referenceTrajectory(o: RefOptions, init: number[], grads: (number[] | null)[]): number[][] {
  const p = init.slice();
  const n = p.length;
  let buf: number[] | null = null;
  const m = new Array<number>(n).fill(0);
  const v = new Array<number>(n).fill(0);
  const vmax = new Array<number>(n).fill(0);
  let t = 0;
  const out: number[][] = [];
  for (const grad of grads) {
    if (grad !== null) {
      t++;
      for (let i = 0; i < n; i++) {
        let g = o.maximize ? -grad[i] : grad[i];
        if (o.kind === 'sgd') {
          g = g + o.weightDecay * p[i];
          if (o.momentum !== 0) {
            if (buf === null) buf = new Array<number>(n).fill(NaN);
            buf[i] = t === 1 ? g : o.momentum * buf[i] + (1 - o.dampening) * g;
            g = o.nesterov ? g + o.momentum * buf[i] : buf[i];
          }
          p[i] = p[i] - o.lr * g;
        } else {
          if (o.decoupled) p[i] = p[i] * (1 - o.lr * o.weightDecay);
          else g = g + o.weightDecay * p[i];
          m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
          v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
          vmax[i] = Math.max(vmax[i], v[i]);
          const mHat = m[i] / (1 - o.beta1 ** t);
          const vHat = (o.amsgrad ? vmax[i] : v[i]) / (1 - o.beta2 ** t);
          p[i] = p[i] - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
        }
      }
    }
    out.push(p.slice());
  }
  return out;
}

const refOptionsArb: fc.Arbitrary<RefOptions> = fc
  .record({
    kind: fc.constantFrom<'sgd' | 'adam'>('sgd', 'adam'),
    lr: fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
    momentum: fc.constantFrom(0, 0.5, 0.9),
    dampening: fc.constantFrom(0, 0.1, 0.5),
    nesterov: fc.boolean(),
    weightDecay: fc.constantFrom(0, 1e-2, 0.3),
    maximize: fc.boolean(),
    beta1: fc.constantFrom(0, 0.5, 0.9),
    beta2: fc.constantFrom(0.9, 0.999),
    eps: fc.constantFrom(1e-8, 1e-3, 0.1),
    decoupled: fc.boolean(),
    amsgrad: fc.boolean(),
  })
  .map((o) => (o.nesterov ? { ...o, momentum: o.momentum === 0 ? 0.9 : o.momentum, dampening: 0 } : o));

const f32 = (v: number) => Math.fround(v);
const caseArb = fc.record({
  options: refOptionsArb,
  init: fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(f32), { minLength: 1, maxLength: 6 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
  steps: fc.integer({ min: 1, max: 8 }),
  nullEvery: fc.constantFrom(0, 2, 3),
});

describe('against a float64 reference of the published algorithms', () => {
  /**
   * Float32 storage of parameters and state (one rounding per stored value per step, relative
   * 6e-8, amplified at most 10x by momentum) against no rounding at all, over up to 8 steps:
   * measured at most 1.9e-7 of max(1, |p|) in 3000 random cases; the bound is 10x that.
   */
  const REF_TOL = 2e-6;
  propTest.prop([caseArb])('SGD and Adam follow torch.optim\'s algorithms for any options', ({ options: o, init, seed, steps, nullEvery }) => {
    let s = seed;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const grads = Array.from({ length: steps }, (_, t) =>
      nullEvery !== 0 && t % nullEvery === 1 ? null : init.map(() => f32((rand() - 0.5) * 4)),
    );
    const param: OptimizerParameter = { data: Float32Array.from(init), grad: null };
    const opt =
      o.kind === 'sgd'
        ? new SGD([param], { lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay, maximize: o.maximize })
        : new Adam([param], { lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay, decoupledWeightDecay: o.decoupled, amsgrad: o.amsgrad, maximize: o.maximize });
    const ref = referenceTrajectory(o, init, grads);
    for (let t = 0; t < steps; t++) {
      const g = grads[t];
      param.grad = g === null ? null : Float32Array.from(g);
      opt.step();
      expect(scaledError(param.data, ref[t])).toBeLessThanOrEqual(REF_TOL);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Rules

function param(values: number[], grad: number[] | null = values.map((_, i) => i + 1)): OptimizerParameter {
  return { data: Float32Array.from(values), grad: grad === null ? null : Float32Array.from(grad) };
}

/** A parameter seen through wider types, to store deliberately bad values without casts. */
function loose(p: OptimizerParameter): { data: unknown; grad: unknown } {
  return p;
}

describe('constructor validation', () => {
  const ps = () => [param([1, 2])];

  test.each([
    ['lr missing', {}, /options\.lr is required/],
    ['lr negative', { lr: -0.1 }, /options\.lr must be a finite number >= 0 but is -0\.1/],
    ['lr NaN', { lr: NaN }, /options\.lr must be a finite number >= 0 but is NaN/],
    ['lr a string', { lr: '0.1' }, /options\.lr must be a finite number >= 0 but is "0\.1"/],
    ['momentum negative', { lr: 0.1, momentum: -0.5 }, /options\.momentum must be a finite number >= 0 but is -0\.5/],
    ['weightDecay negative', { lr: 0.1, weightDecay: -1 }, /options\.weightDecay must be a finite number >= 0/],
    ['dampening infinite', { lr: 0.1, dampening: Infinity }, /options\.dampening must be a finite number but is Infinity/],
    ['nesterov without momentum', { lr: 0.1, nesterov: true }, /nesterov needs momentum > 0 and dampening 0 but momentum is 0 and dampening is 0/],
    ['nesterov with dampening', { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, /nesterov needs .* dampening is 0\.1/],
    ['nesterov not boolean', { lr: 0.1, momentum: 0.9, nesterov: 1 }, /options\.nesterov must be true or false but is 1/],
    ['maximize not boolean', { lr: 0.1, maximize: 'yes' }, /options\.maximize must be true or false/],
    ['unknown key', { lr: 0.1, weight_decay: 0.1 }, /unknown option 'weight_decay'; expected one of lr, momentum, dampening, weightDecay, nesterov, maximize/],
  ])('SGD: %s is an SEOptionError', (_what, options, pattern) => {
    expectError(() => new anySGD(ps(), options), SEOptionError, 'SGD', pattern);
  });

  test.each([
    ['lr negative', { lr: -1 }, /options\.lr must be a finite number >= 0 but is -1/],
    ['eps negative', { eps: -1e-8 }, /options\.eps must be a finite number >= 0/],
    ['beta1 = 1', { betas: [1, 0.999] }, /options\.betas\[0\] must be a number in \[0, 1\) but is 1/],
    ['beta2 negative', { betas: [0.9, -0.1] }, /options\.betas\[1\] must be a number in \[0, 1\) but is -0\.1/],
    ['betas of length 3', { betas: [0.9, 0.99, 0.999] }, /options\.betas must be an array \[beta1, beta2\] but is \[0\.9, 0\.99, 0\.999\]/],
    ['betas a number', { betas: 0.9 }, /options\.betas must be an array/],
    ['weightDecay negative', { weightDecay: -0.01 }, /options\.weightDecay must be a finite number >= 0/],
    ['amsgrad not boolean', { amsgrad: 1 }, /options\.amsgrad must be true or false/],
    ['decoupledWeightDecay not boolean', { decoupledWeightDecay: 'true' }, /options\.decoupledWeightDecay must be true or false/],
    ['unknown key', { beta1: 0.9 }, /unknown option 'beta1'/],
  ])('Adam: %s is an SEOptionError', (_what, options, pattern) => {
    expectError(() => new anyAdam(ps(), options), SEOptionError, 'Adam', pattern);
  });

  test('AdamW names itself and takes no decoupledWeightDecay', () => {
    expectError(() => new anyAdamW(ps(), { decoupledWeightDecay: false }), SEOptionError, 'AdamW', /unknown option 'decoupledWeightDecay'/);
    expectError(() => new anyAdamW(ps(), { lr: -1 }), SEOptionError, 'AdamW', /options\.lr/);
  });

  test('options that are not an object are an SETypeError', () => {
    expectError(() => new anySGD(ps(), 0.1), SETypeError, 'SGD', /options must be an object like \{ lr, momentum.* but got 0\.1/);
    expectError(() => new anyAdam(ps(), [0.9]), SETypeError, 'Adam', /options must be an object/);
  });

  test('options are read once', () => {
    let reads = 0;
    const options = {
      get lr() {
        reads++;
        return reads === 1 ? 0.1 : -1;
      },
    };
    const opt = new SGD(ps(), options);
    expect(reads).toBe(1);
    expect(opt.lr).toBe(0.1);
  });

  test.each([
    ['not iterable', 5, SETypeError, /parameters must be an array \(or iterable\) of \{ data: Float32Array, grad: Float32Array \| null \} but got 5/],
    ['a single parameter', { data: new Float32Array(2), grad: null }, SETypeError, /but got an object \(wrap a single parameter in an array\)/],
    ['a string', 'abc', SETypeError, /parameters must be an array/],
    ['empty', [], SEShapeError, /parameters is empty; expected at least one parameter/],
    ['an entry that is not an object', [param([1]), 3], SETypeError, /parameters\[1\] must be an object \{ data: Float32Array, grad \} but is 3/],
    ['data a Float64Array', [{ data: new Float64Array(2), grad: null }], SETypeError, /parameters\[0\]\.data must be a Float32Array but is a Float64Array\(2\)/],
    ['data a plain array', [{ data: [1, 2], grad: null }], SETypeError, /parameters\[0\]\.data must be a Float32Array but is \[1, 2\]/],
  ])('parameters %s', (_what, parameters, cls, pattern) => {
    expectError(() => new anySGD(parameters, { lr: 0.1 }), cls, 'SGD', pattern);
  });

  test('a parameter listed twice, or two parameters sharing memory, is an SEStateError', () => {
    const a = param([1, 2]);
    expectError(() => new SGD([a, param([3]), a], { lr: 0.1 }), SEStateError, 'SGD', /parameters\[2\] is the same object as parameters\[0\]/);
    const flat = new Float32Array(10);
    const views = [{ data: flat.subarray(0, 4), grad: null }, { data: flat.subarray(6, 10), grad: null }, { data: flat.subarray(3, 6), grad: null }];
    expectError(() => new Adam(views), SEStateError, 'Adam', /parameters\[2\]\.data shares memory with parameters\[0\]\.data/);
    const same = new Float32Array(3);
    expectError(() => new Adam([{ data: same, grad: null }, { data: same, grad: null }]), SEStateError, 'Adam', /parameters\[1\]\.data shares memory with parameters\[0\]\.data/);
    // Disjoint views of one buffer (a flat parameter vector) are fine, and so are empty ones.
    const ok = [{ data: flat.subarray(0, 4), grad: null }, { data: flat.subarray(4, 4), grad: null }, { data: flat.subarray(4, 10), grad: null }];
    expect(() => new Adam(ok)).not.toThrow();
  });

  test('iterables are read once, in order', () => {
    const a = param([1]);
    const b = param([2]);
    function* gen() {
      yield a;
      yield b;
    }
    const opt = new SGD(gen(), { lr: 0.5 });
    expect(opt.parameters).toEqual([a, b]);
    expect(Object.isFrozen(opt.parameters)).toBe(true);
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([0.5, 1.5]);
  });
});

describe('step', () => {
  test('a bad gradient at the third parameter leaves the first two, and every state, untouched', () => {
    const a = param([1, 2]);
    const b = param([3, 4, 5]);
    const c = param([6]);
    for (const opt of [new SGD([a, b, c], { lr: 0.1, momentum: 0.9 }), new Adam([a, b, c], { lr: 0.1, amsgrad: true })]) {
      const fn = opt instanceof SGD ? 'SGD.step' : 'Adam.step';
      opt.step(); // creates every state
      const before = [a, b, c].map((p) => Array.from(p.data));
      const stateBefore = JSON.stringify([a, b, c].map((p) => opt.state(p)), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
      c.grad = new Float32Array(2);
      expectError(() => opt.step(), SEShapeError, fn, /parameters\[2\]\.grad has length 2 but parameters\[2\]\.data has length 1/);
      loose(c).grad = Float64Array.from([1]);
      expectError(() => opt.step(), SETypeError, fn, /parameters\[2\]\.grad must be a Float32Array or null but is a Float64Array\(1\)/);
      loose(c).grad = undefined;
      expectError(() => opt.step(), SETypeError, fn, /parameters\[2\]\.grad must be a Float32Array or null but is undefined/);
      c.grad = a.data.subarray(1, 2);
      expectError(() => opt.step(), SEStateError, fn, /parameters\[2\]\.grad shares memory with parameters\[0\]\.data/);
      c.data = new Float32Array(3);
      expectError(() => opt.step(), SEShapeError, fn, /parameters\[2\]\.data has length 3 but had length 1 when the optimizer was created/);
      loose(c).data = [6];
      expectError(() => opt.step(), SETypeError, fn, /parameters\[2\]\.data must be a Float32Array but is \[6\]/);
      expect([a, b, c].slice(0, 2).map((p) => Array.from(p.data))).toEqual(before.slice(0, 2));
      const stateAfter = JSON.stringify([a, b, c].map((p) => opt.state(p)), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
      expect(stateAfter).toEqual(stateBefore);
      c.data = Float32Array.from(before[2]);
      c.grad = Float32Array.from([1]);
    }
  });

  test('a failed first step creates no state; the retried step equals a fresh optimizer\'s', () => {
    const mk = () => [param([1, 2]), param([3, 4, 5]), param([6])];
    const bad = mk();
    const good = mk();
    const optBad = new SGD(bad, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    const optGood = new SGD(good, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    bad[2].grad = new Float32Array(5);
    expect(() => optBad.step()).toThrow(SEShapeError);
    expect(bad.map((p) => optBad.state(p))).toEqual([undefined, undefined, undefined]);
    bad[2].grad = Float32Array.from([1]);
    for (let k = 0; k < 3; k++) {
      optBad.step();
      optGood.step();
    }
    expect(bad.map((p) => Array.from(p.data))).toEqual(good.map((p) => Array.from(p.data)));
  });

  test('each step reads the current grad; null skips the parameter and creates no state', () => {
    const p = param([1, 1], null);
    const q = param([1, 1], [1, 1]);
    const opt = new SGD([p, q], { lr: 0.5, momentum: 0.5 });
    opt.step();
    expect(Array.from(p.data)).toEqual([1, 1]);
    expect(opt.state(p)).toBeUndefined();
    expect(Array.from(opt.state(q)?.momentumBuffer ?? [])).toEqual([1, 1]);
    p.grad = Float32Array.from([2, 4]); // first step for p: its buffer starts at g
    q.grad = Float32Array.from([0, 2]); // replaced: the new array is read
    opt.step();
    expect(Array.from(p.data)).toEqual([0, -1]);
    expect(Array.from(opt.state(q)?.momentumBuffer ?? [])).toEqual([0.5, 2.5]); // 0.5 * [1, 1] + [0, 2]
    expect(Array.from(q.data)).toEqual([0.25, -0.75]); // [0.5, 0.5] - 0.5 * [0.5, 2.5]
  });

  test('state lives per parameter object: two optimizers over one object keep separate state', () => {
    const p = param([0], [1]);
    const other = param([0], [1]);
    const a = new Adam([p], { lr: 0.1 });
    const b = new Adam([p], { lr: 0.1 });
    a.step();
    a.step();
    b.step();
    expect(a.state(p)?.step).toBe(2);
    expect(b.state(p)?.step).toBe(1);
    expect(a.state(other)).toBeUndefined();
    expect(a.state(p)).toBe(a.state(p)); // the live object
    expect(a.state(p)?.maxExpAvgSq).toBeNull();
    const sgd = new SGD([p], { lr: 0.1 });
    sgd.step();
    expect(sgd.state(p)).toEqual({ momentumBuffer: null });
  });

  test('replacing data with a same-length array updates the new array', () => {
    const p = param([1, 2], [1, 1]);
    const opt = new SGD([p], { lr: 1 });
    const old = p.data;
    p.data = Float32Array.from([10, 20]);
    opt.step();
    expect(Array.from(old)).toEqual([1, 2]);
    expect(Array.from(p.data)).toEqual([9, 19]);
  });

  test('NaN and Infinity in a gradient propagate to the values they touch', () => {
    const p = param([1, 1, 1], [NaN, Infinity, 1]);
    new SGD([p], { lr: 0.1 }).step();
    expect(Number.isNaN(p.data[0])).toBe(true);
    expect(p.data[1]).toBe(-Infinity);
    expect(p.data[2]).toBeCloseTo(0.9, 6);
    const q = param([1, 1], [NaN, 1]);
    const adam = new Adam([q], { amsgrad: true });
    adam.step();
    expect(Number.isNaN(q.data[0])).toBe(true);
    expect(Number.isNaN(adam.state(q)?.maxExpAvgSq?.[0] ?? 0)).toBe(true);
    expect(Number.isFinite(q.data[1])).toBe(true);
  });

  test('lr is settable between steps and validated', () => {
    const p = param([1], [1]);
    const opt = new SGD([p], { lr: 0.5 });
    opt.step();
    opt.lr = 0.25;
    expect(opt.lr).toBe(0.25);
    opt.step();
    expect(p.data[0]).toBe(0.25);
    expectError(() => {
      opt.lr = -1;
    }, SEOptionError, 'SGD.lr', /the learning rate must be a finite number >= 0 but is -1/);
    expectError(() => {
      const widened: { lr: unknown } = opt;
      widened.lr = '0.1';
    }, SEOptionError, 'SGD.lr', /but is "0\.1"/);
    expect(opt.lr).toBe(0.25);
    const adam = new AdamW([p]);
    adam.lr = 0;
    adam.step();
    expect(p.data[0]).toBe(0.25); // lr 0: no step and no decay
  });
});

describe('zeroGrad', () => {
  test('fills Float32Array grads with zeros in place and leaves null alone', () => {
    const a = param([1, 2], [3, 4]);
    const b = param([1], null);
    const opt = new Adam([a, b]);
    const grad = a.grad;
    opt.zeroGrad();
    expect(a.grad).toBe(grad);
    expect(Array.from(a.grad ?? [])).toEqual([0, 0]);
    expect(b.grad).toBeNull();
  });

  test('validates every parameter before zeroing any', () => {
    const a = param([1, 2], [3, 4]);
    const b = param([1], [5]);
    const c = param([1], [6]);
    const opt = new SGD([a, b, c], { lr: 0.1 });
    loose(c).grad = [0];
    expectError(() => opt.zeroGrad(), SETypeError, 'SGD.zeroGrad', /parameters\[2\]\.grad must be a Float32Array or null but is \[0\]/);
    expect([Array.from(a.grad ?? []), Array.from(b.grad ?? [])]).toEqual([[3, 4], [5]]);
  });
});

describe('in use', () => {
  /** Trains an SE block to imitate another with seForward/seBackward; returns the first and last loss. */
  function train(make: (params: OptimizerParameter[]) => Optim, steps: number): [number, number] {
    const student = createSEParams({ channels: 8, hidden: 4, seed: 11 });
    const teacher = createSEParams({ channels: 8, hidden: 4, seed: 12, init: 'normal', std: 1 });
    const shape = [4, 8, 3, 3];
    // Per-channel offsets, so that the squeezed means (and hence the gates) differ between channels and samples.
    const x = { data: Float32Array.from({ length: 4 * 8 * 9 }, (_, i) => Math.sin(i * 0.7) + 2 * Math.cos(Math.floor(i / 9) * 1.9)), shape };
    const target = seForward(x, teacher).y.data;
    const keys = ['w1', 'b1', 'w2', 'b2'] as const;
    const params: OptimizerParameter[] = keys.map((k) => ({ data: student[k] ?? new Float32Array(0), grad: null }));
    const opt = make(params);
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      const { y, cache } = seForward(x, student);
      const dy = new Float32Array(y.data.length);
      let loss = 0;
      for (let i = 0; i < dy.length; i++) {
        const d = y.data[i] - target[i];
        loss += (d * d) / dy.length;
        dy[i] = (2 * d) / dy.length;
      }
      losses.push(loss);
      const g = seBackward({ data: dy, shape }, cache);
      // Fresh gradient arrays every step: step() reads whatever grad holds now.
      const grads = [g.dw1.data, g.db1?.data ?? null, g.dw2.data, g.db2?.data ?? null];
      params.forEach((p, i) => (p.grad = grads[i]));
      opt.step();
    }
    return [losses[0], losses[losses.length - 1]];
  }

  test.each([
    ['SGD with Nesterov momentum', (p: OptimizerParameter[]) => new SGD(p, { lr: 0.5, momentum: 0.9, nesterov: true })],
    ['Adam', (p: OptimizerParameter[]) => new Adam(p, { lr: 0.02 })],
    ['AdamW', (p: OptimizerParameter[]) => new AdamW(p, { lr: 0.02 })],
  ])('%s trains an SE block to imitate another: the loss falls over 100x in 300 steps', (_name, make) => {
    const [first, last] = train(make, 300);
    expect(last).toBeLessThan(first / 100); // measured: 310x (SGD), 420x (Adam, AdamW)
  });

  test('the parameters of an SE block update in place', () => {
    const block: SEParams = createSEParams({ channels: 4, hidden: 2, seed: 1 });
    const w1 = block.w1.slice();
    const opt = new SGD([{ data: block.w1, grad: new Float32Array(8).fill(1) }], { lr: 0.5 });
    opt.step();
    expect(Array.from(block.w1)).toEqual(Array.from(w1, (v) => Math.fround(v - 0.5)));
  });
});
