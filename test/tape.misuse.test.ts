/**
 * The tape under misuse and hostile values: every argument of Tape.record checked (and read once)
 * before anything is recorded; a user backward's return value checked and described exactly; what
 * a backward throws wrapped with the op's name; a failed backward leaving every grad as it was and
 * the tape closed with the reason; the seed's shape; Tape.variable's options.
 */
import * as vm from 'node:vm';
import { SEError, SEShapeError, SEStateError, SETypeError, Tape, Variable, add, mul, scale, sum } from '../src/core.js';
import type { BackwardFn, SavedArray } from '../src/autograd/tape.js';
import { expectError } from './expectError.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
/** A value of any type, for passing where the types forbid it. */
const any = <T>(v: unknown): T => v as T;

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** A tape with x = [1, 2, 3] (requires grad) and c = [5, 6, 7] (constant). */
function setup(): { t: Tape; x: Variable; c: Variable } {
  const t = new Tape();
  return { t, x: t.variable({ data: f32(1, 2, 3), shape: [3] }, { name: 'x' }), c: t.constant({ data: f32(5, 6, 7), shape: [3] }, 'c') };
}

/** A user op y = 2x with the given backward. */
function double(x: Variable, backward: BackwardFn): Variable {
  return x.tape.record('double', [x], x.data.map((v) => 2 * v), x.shape, [], backward);
}

const ok: BackwardFn = (dy) => [dy.map((g) => 2 * g)];

/** A Float32Array subclass whose `length` getter claims `claimed`, holding `values`. */
function liar(values: number[], claimed: number): Float32Array {
  class Liar extends Float32Array {}
  Object.defineProperty(Liar.prototype, 'length', { get: () => claimed });
  const a = new Liar(values.length);
  a.set(values);
  return a;
}

describe('Tape.record checks every argument before recording', () => {
  const fn = 'Tape.record';
  test.each<[string, (s: ReturnType<typeof setup>) => unknown, new (m: string) => SEError, RegExp]>([
    ['op a number', ({ t, x }) => t.record(any(42), [x], f32(1, 2, 3), [3], [], ok), SETypeError, /op must be a non-empty string \(the op's name\) but got 42$/],
    ['op empty', ({ t, x }) => t.record('', [x], f32(1, 2, 3), [3], [], ok), SETypeError, /op must be a non-empty string .* but got ""$/],
    ['inputs not an array', ({ t, x }) => t.record('op', any(x), f32(1, 2, 3), [3], [], ok), SETypeError, /^Tape\.record: inputs of op "op" must be an array but got a Variable$/],
    ['inputs holding a non-Variable', ({ t, x }) => t.record('op', any([x, { data: f32(1) }]), f32(1, 2, 3), [3], [], ok), SETypeError, /inputs\[1\] of op "op" must be a Variable but got an object$/],
    ['inputs holding a Variable of another tape', ({ t }) => t.record('op', [new Tape().variable({ data: f32(1), shape: [1] })], f32(1), [1], [], ok), SEStateError, /inputs\[0\] of op "op" belongs to a different tape$/],
    ['inputs holding a Variable constructed directly', ({ t }) => t.record('op', [new Variable(t, f32(1), [1], true, 'v')], f32(1), [1], [], ok), SETypeError, /inputs\[0\] of op "op" is not a Variable made by this tape/],
    ['inputs holding a forged Variable', ({ t }) => t.record('op', any([{ [Symbol.for('se-kernels.Variable')]: true, tape: t, requiresGrad: true, size: 1 }]), f32(1), [1], [], ok), SETypeError, /inputs\[0\] of op "op" is not a Variable made by this tape/],
    ['data a Float64Array', ({ t, x }) => t.record('op', [x], any(new Float64Array(3)), [3], [], ok), SETypeError, /^Tape\.record: data of op "op" must be a Float32Array but got a Float64Array\(3\)$/],
    ['data a plain array', ({ t, x }) => t.record('op', [x], any([1, 2, 3]), [3], [], ok), SETypeError, /data of op "op" must be a Float32Array but got \[1, 2, 3\]$/],
    ['data a Proxy around a Float32Array', ({ t, x }) => t.record('op', [x], new Proxy(f32(1, 2, 3), {}), [3], [], ok), SETypeError, /data of op "op" must be a Float32Array but got an object posing as a Float32Array \(a Proxy or imitation; pass the underlying Float32Array\)$/],
    ['data too short for the shape', ({ t, x }) => t.record('op', [x], f32(1, 2), [3], [], ok), SEShapeError, /^Tape\.record: data of op "op" has length 2 but shape \[3\] needs 3$/],
    ['shape [-2, -2]', ({ t, x }) => t.record('op', [x], f32(1, 2, 3, 4), [-2, -2], [], ok), SEShapeError, /^Tape\.record: shape\[0\] of op "op" must be a positive integer but is -2$/],
    ['shape with a 0', ({ t, x }) => t.record('op', [x], f32(), [3, 0], [], ok), SEShapeError, /shape\[1\] of op "op" must be a positive integer but is 0$/],
    ['shape with 1.5', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [1.5, 2], [], ok), SEShapeError, /shape\[0\] of op "op" must be a positive integer but is 1\.5$/],
    ['shape with NaN', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [NaN], [], ok), SEShapeError, /must be a positive integer but is NaN$/],
    ['shape with a string', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), any(['3']), [], ok), SEShapeError, /must be a positive integer but is "3"$/],
    ['shape of rank 9', ({ t, x }) => t.record('op', [x], f32(1), [1, 1, 1, 1, 1, 1, 1, 1, 1], [], ok), SEShapeError, /shape of op "op" must have at most 8 entries but has 9$/],
    ['shape not an array', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), any(3), [], ok), SETypeError, /shape of op "op" must be an array but got 3$/],
    ['shape whose size is not countable', ({ t, x }) => t.record('op', [x], f32(1), [2 ** 40, 2 ** 40], [], ok), SEShapeError, /more than can be counted exactly/],
    ['saved not an array', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [3], any<Float32Array[]>(x.data), ok), SETypeError, /^Tape\.record: saved of op "op" must be an array but got a Float32Array\(3\)$/],
    ['saved holding numbers', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [3], any<Float32Array[]>([x.data, [1, 2]]), ok), SETypeError, /saved\[1\] of op "op" must be a typed array \(such as a Float32Array\) but got \[1, 2\]$/],
    ['saved holding a DataView', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [3], any<Float32Array[]>([new DataView(new ArrayBuffer(4))]), ok), SETypeError, /saved\[0\] of op "op" must be a typed array .* but got a DataView\(4 bytes\)$/],
    ['backward missing', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [3], [], any(undefined)), SETypeError, /^Tape\.record: backward of op "op" must be a function \(dy, saved, needs\) => gradients but got undefined$/],
    ['backward an object', ({ t, x }) => t.record('op', [x], f32(1, 2, 3), [3], [], any({ backward: ok })), SETypeError, /backward of op "op" must be a function .* but got an object$/],
  ])('%s', (_name, call, cls, message) => {
    const s = setup();
    expectError(() => call(s), cls, fn, message);
    expect(s.t.length).toBe(0);
    // Nothing was recorded and the tape still works.
    s.t.backward(sum(s.x));
    expect(Array.from(s.x.grad!)).toEqual([1, 1, 1]);
  });

  test('a revoked Proxy or a Proxy whose traps throw, as inputs', () => {
    const { t, x } = setup();
    const r = Proxy.revocable([x], {});
    r.revoke();
    expectError(() => t.record('op', r.proxy, f32(1, 2, 3), [3], [], ok), SETypeError, 'Tape.record', /inputs of op "op" must be an array but got a revoked Proxy$/);
    const boom = new Error('boom');
    const hostile = new Proxy([x], { get: () => { throw boom; } });
    const e = caught(() => t.record('op', hostile, f32(1, 2, 3), [3], [], ok));
    expect(e).toBeInstanceOf(SETypeError);
    expect(e.message).toBe('Tape.record: reading inputs of op "op" threw Error: boom');
    expect((e as SEError).cause).toBe(boom);
  });

  test('lists whose length is absurd or not a length', () => {
    const { t, x } = setup();
    const huge = new Proxy([x], { get: (o, key) => (key === 'length' ? 2 ** 31 : Reflect.get(o, key)) });
    expectError(() => t.record('op', huge, f32(1, 2, 3), [3], [], ok), SEShapeError, 'Tape.record', /^Tape\.record: inputs of op "op" must have at most 1048576 entries but has 2147483648$/);
    const nan = new Proxy([x.data], { get: (o, key) => (key === 'length' ? NaN : Reflect.get(o, key)) });
    expectError(() => t.record('op', [x], f32(1, 2, 3), [3], nan, ok), SETypeError, 'Tape.record', /^Tape\.record: saved of op "op" must be an array but its length is NaN$/);
  });

  test('a Proxy of one of its Variables is taken as that Variable', () => {
    const { t, x } = setup();
    let touched = 0;
    const proxy = new Proxy(x, { get: (o, key) => { touched++; return Reflect.get(o, key); } });
    const y = t.record('double', [proxy], f32(2, 4, 6), [3], [], ok);
    const before = touched;
    t.backward(sum(y));
    expect(touched).toBe(before); // the tape kept x itself, not the proxy
    expect(Array.from(x.grad!)).toEqual([2, 2, 2]);
  });

  test('array arguments are read once: each index and the length exactly once, then copied', () => {
    const { t, x } = setup();
    const reads = new Map<PropertyKey, number>();
    const counting = <T extends object>(target: T, tag: string): T =>
      new Proxy(target, {
        get(o, key, receiver) {
          const k = `${tag}.${String(key)}`;
          reads.set(k, (reads.get(k) ?? 0) + 1);
          return Reflect.get(o, key, receiver);
        },
      });
    const shape = [3];
    const saved = [x.data];
    const inputs = [x];
    let seen: readonly SavedArray[] = [];
    const y = t.record('op', counting(inputs, 'inputs'), f32(2, 4, 6), counting(shape, 'shape'), counting(saved, 'saved'), (dy, s) => {
      seen = s;
      return [dy];
    });
    expect(Object.fromEntries(reads)).toEqual({ 'inputs.length': 1, 'inputs.0': 1, 'shape.length': 1, 'shape.0': 1, 'saved.length': 1, 'saved.0': 1 });
    // Later changes to the caller's arrays do not reach the tape.
    shape[0] = 99;
    inputs.pop();
    saved.pop();
    expect(y.shape).toEqual([3]);
    t.backward(y, { data: f32(1, 1, 1), shape: [3] });
    expect(seen).toEqual([x.data]); // the tape's own copy of the list, the arrays as given
    expect(seen).not.toBe(saved);
    expect(seen[0]).toBe(x.data);
    expect(Array.from(x.grad!)).toEqual([1, 1, 1]);
  });

  test("a variable's fields are fixed: read-only properties and a frozen shape", () => {
    const { x } = setup();
    expect(Object.isFrozen(x.shape)).toBe(true);
    for (const key of ['data', 'shape', 'size', 'requiresGrad', 'name', 'tape'] as const) {
      expect(Reflect.set(x, key, 1)).toBe(false);
    }
    expect(x.shape).toEqual([3]);
    expect([x.size, x.requiresGrad, x.name, x.data.length]).toEqual([3, true, 'x', 3]);
    const g = f32(0, 0, 0);
    x.grad = g; // grad stays assignable
    expect(x.grad).toBe(g);
  });

  test('accepts a Float32Array from another realm or of a subclass, keeping a plain view of the same memory', () => {
    const { t, x } = setup();
    const foreign = vm.runInNewContext('new Float32Array([2, 4, 6])') as Float32Array;
    expect(foreign instanceof Float32Array).toBe(false);
    const y = t.record('foreign', [x], foreign, [3], [], ok);
    expect(y.data instanceof Float32Array).toBe(true);
    expect(Object.getPrototypeOf(y.data)).toBe(Float32Array.prototype);
    foreign[1] = 40;
    expect(y.data[1]).toBe(40); // same memory, no copy

    const lying = liar([1, 2, 3], 100);
    expect(lying.length).toBe(100);
    expectError(() => t.record('liar', [x], lying, [100], [], ok), SEShapeError, 'Tape.record', /data of op "liar" has length 3 but shape \[100\] needs 100$/);
    const z = t.record('liar', [x], lying, [3], [], ok);
    expect(z.data.length).toBe(3);
    expect(z.data).not.toBe(lying);

    // An own `length` property is not believed either.
    const shadowed = f32(1, 2, 3);
    Object.defineProperty(shadowed, 'length', { value: 1 });
    const w = t.record('shadowed', [x], shadowed, [3], [], ok);
    expect(w.data.length).toBe(3);
  });

  test('saved may hold typed arrays of any kind; the backward gets them back in order', () => {
    const { t, x } = setup();
    const idx = Int32Array.from([2, 0, 1]);
    const wide = new Float64Array([0.5, 0.25, 0.125]);
    const y = t.record('gather', [x], f32(3, 1, 2), [3], [idx, wide], (dy, [i, w]) => {
      const g = new Float32Array(3);
      for (let k = 0; k < 3; k++) g[i[k]] += dy[k] * w[k];
      return [g];
    });
    t.backward(y, { data: f32(1, 1, 1), shape: [3] });
    expect(Array.from(x.grad!)).toEqual([0.25, 0.125, 0.5]);
  });
});

describe("a backward's return value is checked and described exactly", () => {
  const fn = 'Tape.backward';
  test.each<[string, BackwardFn, new (m: string) => SEError, RegExp]>([
    ['undefined', any(() => undefined), SETypeError, /^Tape\.backward: the backward of op "double" \(record 1 of 1\) returned undefined; expected an array of 1 gradient, one per input \(a Float32Array of the input's size, or null where needs\[k\] is false\)$/],
    ['a bare Float32Array', any((dy: Float32Array) => dy), SETypeError, /returned a Float32Array\(3\); expected an array of 1 gradient, .*; wrap a single gradient in an array: \[gradient\]$/],
    ['a number', any(() => 3), SETypeError, /returned 3; expected an array of 1 gradient/],
    ['[]', () => [], SEShapeError, /^Tape\.backward: the backward of op "double" \(record 1 of 1\) returned 0 gradients for 1 input; expected an array of 1 gradient/],
    ['two gradients', (dy) => [dy, dy], SEShapeError, /returned 2 gradients for 1 input/],
    ['[Float64Array]', any(() => [new Float64Array(3)]), SETypeError, /^Tape\.backward: the backward of op "double" \(record 1 of 1\) returned a Float64Array\(3\) as the gradient of input 0 \("x", shape \[3\]\); expected a Float32Array\(3\)$/],
    ['[plain array]', any(() => [[1, 2, 3]]), SETypeError, /returned \[1, 2, 3\] as the gradient of input 0 \("x", shape \[3\]\); expected a Float32Array\(3\)$/],
    ['[Float32Array of the wrong length]', () => [new Float32Array(2)], SEShapeError, /^Tape\.backward: the backward of op "double" \(record 1 of 1\) returned a Float32Array\(2\) as the gradient of input 0 \("x", shape \[3\]\); expected a Float32Array\(3\)$/],
    ['[null] for an input that needs one', () => [null], SETypeError, /returned null as the gradient of input 0 \("x", shape \[3\]\), which needs one \(return zeros if the output does not depend on it\); expected a Float32Array\(3\)$/],
    ['[Proxy around a Float32Array]', (dy) => [new Proxy(dy, {})], SETypeError, /returned an object posing as a Float32Array \(a Proxy or imitation; pass the underlying Float32Array\) as the gradient of input 0/],
  ])('%s', (_name, backward, cls, message) => {
    const { t, x } = setup();
    const y = double(x, backward);
    expectError(() => t.backward(y, { data: f32(1, 1, 1), shape: [3] }), cls, fn, message);
    expect(x.grad).toBeNull();
    expect(y.grad).toBeNull();
  });

  test('one gradient for two inputs', () => {
    const { t, x } = setup();
    const x2 = t.variable({ data: f32(1, 1, 1), shape: [3] }, { name: 'x2' });
    const y = t.record('pair', [x, x2], f32(2, 3, 4), [3], [], (dy) => [dy]);
    expectError(() => t.backward(sum(y)), SEShapeError, fn, /the backward of op "pair" \(record 1 of 2\) returned 1 gradient for 2 inputs/);
  });

  test('a gradient for an input that needs none is ignored, and so are trailing nulls', () => {
    const { t, x, c } = setup();
    const y = t.record('mulc', [x, c, x], f32(5, 12, 21), [3], [], (dy, _s, needs) => {
      expect(needs).toEqual([true, false, true]);
      return [dy, any<Float32Array>('junk for the constant'), dy, null, any<null>(undefined)];
    });
    t.backward(y, { data: f32(1, 2, 3), shape: [3] });
    expect(Array.from(x.grad!)).toEqual([2, 4, 6]);
    expect(c.grad).toBeNull();
  });

  test('accepts gradients from another realm or of a subclass by their true length', () => {
    const { t, x } = setup();
    const y = t.record('two', [x, x], f32(2, 4, 6), [3], [], () => [
      vm.runInNewContext('new Float32Array([1, 2, 3])') as Float32Array,
      liar([10, 20, 30], 7),
    ]);
    t.backward(y, { data: f32(1, 1, 1), shape: [3] });
    expect(Array.from(x.grad!)).toEqual([11, 22, 33]);
  });

  test('a backward that returns dy for two inputs (add) gets copies, and intermediate grads are published', () => {
    const { t, x } = setup();
    const y = add(x, x);
    const loss = sum(scale(y, 3));
    t.backward(loss);
    expect(Array.from(x.grad!)).toEqual([6, 6, 6]);
    expect(Array.from(y.grad!)).toEqual([3, 3, 3]);
    expect(x.grad).not.toBe(y.grad);
    expect(Array.from(loss.grad!)).toEqual([1]);
  });

  test('a backward is called as a plain function (this is undefined), not as a method of the record', () => {
    const { t, x } = setup();
    let self: unknown = 'not called';
    const y = double(x, function (this: unknown, dy) {
      self = this;
      return [dy];
    });
    t.backward(y, { data: f32(1, 1, 1), shape: [3] });
    expect(self).toBeUndefined();
  });

  test('a returned array whose reads throw', () => {
    const { t, x } = setup();
    const y = double(x, (dy) => new Proxy([dy], { get: () => { throw new RangeError('no'); } }));
    const e = caught(() => t.backward(y, { data: f32(1, 1, 1), shape: [3] }));
    expect(e).toBeInstanceOf(SETypeError);
    expect(e.message).toBe('Tape.backward: reading what the backward of op "double" (record 1 of 1) returned threw RangeError: no');
    expect(x.grad).toBeNull();
  });
});

describe('a failed backward is all or nothing', () => {
  /**
   * Five records; x is used by the first and the last (so the reverse walk has already added
   * record 5's contribution to x when record 3 fails), w by the second and the fourth.
   */
  function fiveRecords(third: BackwardFn): { t: Tape; x: Variable; w: Variable; vars: Variable[]; loss: Variable } {
    const t = new Tape();
    const x = t.variable({ data: f32(1, 2), shape: [2] }, { name: 'x' });
    const w = t.variable({ data: f32(3, 4), shape: [2] }, { name: 'w' });
    const a = mul(x, w); // record 1
    const b = scale(w, 2); // record 2
    const c = t.record('third', [a], a.data.slice(), [2], [], third); // record 3
    const d = add(c, b); // record 4
    const loss = sum(mul(d, x)); // records 5 and 6
    return { t, x, w, vars: [x, w, a, b, c, d, loss], loss };
  }

  test('the passing version of the graph, for reference', () => {
    const { t, x, w, loss } = fiveRecords((dy) => [dy]);
    t.backward(loss);
    // loss = sum((x*w + 2w) * x): d/dx = 2xw + 2w, d/dw = x^2 + 2x
    expect(Array.from(x.grad!)).toEqual([2 * 1 * 3 + 6, 2 * 2 * 4 + 8]);
    expect(Array.from(w.grad!)).toEqual([1 + 2, 4 + 4]);
  });

  test('a backward throwing at the 3rd record leaves every grad as it was and closes the tape, saying why', () => {
    const boom = new Error('third record exploded');
    const { t, x, w, vars, loss } = fiveRecords(() => {
      throw boom;
    });
    const before = f32(100, 200);
    w.grad = before; // a grad assigned by the user before backward stays, untouched
    const e = caught(() => t.backward(loss));
    expect(e).toBeInstanceOf(SEStateError);
    expect(e.message).toBe('Tape.backward: the backward of op "third" (record 3 of 6) threw Error: third record exploded');
    expect((e as SEError).cause).toBe(boom);
    for (const v of vars) if (v !== w) expect(v.grad).toBeNull();
    expect(w.grad).toBe(before);
    expect(Array.from(before)).toEqual([100, 200]);
    expect(x.grad).toBeNull();

    expect(t.finished).toBe(true);
    expectError(() => t.backward(loss), SEStateError, 'Tape.backward', /this tape already ran a backward that failed, so it is closed \(no variable's grad was changed by it\); record the forward pass again on a new Tape\. The failure: SEStateError: Tape\.backward: the backward of op "third" \(record 3 of 6\) threw Error: third record exploded$/);
    expectError(() => sum(x), SEStateError, 'Tape.record', /^Tape\.record: cannot record op "sum": this tape already ran a backward that failed/);
    expectError(() => t.variable({ data: f32(1), shape: [1] }), SEStateError, 'Tape.variable', /backward that failed/);
  });

  test('a bad return value at the 3rd record leaves every grad null', () => {
    const { t, vars, loss } = fiveRecords(() => [new Float32Array(5)]);
    expectError(() => t.backward(loss), SEShapeError, 'Tape.backward', /the backward of op "third" \(record 3 of 6\) returned a Float32Array\(5\) as the gradient of input 0 \("mul", shape \[2\]\)/);
    for (const v of vars) expect(v.grad).toBeNull();
  });

  test('an SEError thrown by a backward is wrapped too, naming the op; the original is the cause', () => {
    const { t, vars, loss } = fiveRecords((dy) => [scale(any(dy), 2).data]);
    const e = caught(() => t.backward(loss));
    expect(e).toBeInstanceOf(SEStateError);
    expect(e.message).toMatch(/^Tape\.backward: the backward of op "third" \(record 3 of 6\) threw SETypeError: scale: x must be a Variable but got a Float32Array\(2\)$/);
    expect((e as SEError).cause).toBeInstanceOf(SETypeError);
    for (const v of vars) expect(v.grad).toBeNull();
  });

  test('a backward that records on its own tape is refused (the tape is closed while backward runs)', () => {
    const { t, loss } = fiveRecords((dy) => {
      sum(t.variable({ data: dy, shape: [2] }));
      return [dy];
    });
    const e = caught(() => t.backward(loss));
    expect(e).toBeInstanceOf(SEStateError);
    expect(e.message).toMatch(/threw SEStateError: Tape\.variable: this tape has already run backward/);
  });

  test('thrown non-Errors and hostile thrown values are described without running their code', () => {
    const { t, loss } = fiveRecords(() => {
      throw 'a string';
    });
    expect(caught(() => t.backward(loss)).message).toBe('Tape.backward: the backward of op "third" (record 3 of 6) threw the value "a string"');
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); }, getOwnPropertyDescriptor: () => { throw new Error('trap'); } });
    const r2 = fiveRecords(() => {
      throw hostile;
    });
    const e = caught(() => r2.t.backward(r2.loss));
    expect(e.message).toBe('Tape.backward: the backward of op "third" (record 3 of 6) threw the value an object that throws when inspected (a Proxy?)');
    expect((e as SEError).cause).toBe(hostile);
  });

  test('a frozen variable, or one with an own grad property, cannot stop or split the publish step', () => {
    const { t, x, w, loss } = fiveRecords((dy) => [dy]);
    Object.freeze(x);
    Object.defineProperty(w, 'grad', { get: () => 'own getter', set: () => { throw new Error('own setter'); } });
    t.backward(loss);
    expect(Array.from(x.grad!)).toEqual([12, 24]);
    expect(Reflect.apply(Object.getOwnPropertyDescriptor(Variable.prototype, 'grad')!.get!, w, [])).toEqual(f32(3, 8));
  });
});

describe('backward(loss, seed)', () => {
  const fn = 'Tape.backward';
  test('the seed must have exactly the loss shape; the message shows both', () => {
    const t = new Tape();
    const x = t.variable({ data: f32(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    const y = scale(x, 2);
    expectError(() => t.backward(y, { data: new Float32Array(6), shape: [3, 2] }), SEShapeError, fn, /^Tape\.backward: seed has shape \[3, 2\] but loss has shape \[2, 3\]; the seed must have exactly the loss's shape$/);
    expectError(() => t.backward(y, { data: new Float32Array(6), shape: [6] }), SEShapeError, fn, /seed has shape \[6\] but loss has shape \[2, 3\]/);
    expectError(() => t.backward(y, { data: new Float32Array(6), shape: [1, 2, 3] }), SEShapeError, fn, /seed has shape \[1, 2, 3\] but loss has shape \[2, 3\]/);
    expectError(() => t.backward(y, any({ data: new Float64Array(6), shape: [2, 3] })), SETypeError, fn, /seed\.data must be a Float32Array but got a Float64Array\(6\)/);
    // Argument errors happen before anything: the tape is still open.
    expect(t.finished).toBe(false);
    const seed = f32(1, 0, -1, 2, 0, 1);
    t.backward(y, { data: seed, shape: [2, 3] });
    expect(Array.from(x.grad!)).toEqual([2, 0, -2, 4, 0, 2]);
    seed[0] = 50; // the seed was copied
    expect(y.grad![0]).toBe(1);
  });

  test('a scalar loss (shape []) takes a seed of shape [] only, or none', () => {
    const t = new Tape();
    const x = t.variable({ data: f32(1, 2), shape: [2] });
    const loss = sum(x);
    expect(loss.shape).toEqual([]);
    expectError(() => t.backward(loss, { data: f32(3), shape: [1] }), SEShapeError, fn, /seed has shape \[1\] but loss has shape \[\]/);
    t.backward(loss, { data: f32(3), shape: [] });
    expect(Array.from(x.grad!)).toEqual([3, 3]);
  });

  test('a size-1 loss of shape [1, 1] needs no seed', () => {
    const t = new Tape();
    const x = t.variable({ data: f32(4), shape: [1, 1] });
    t.backward(scale(x, 2));
    expect(Array.from(x.grad!)).toEqual([2]);
  });

  test('the loss must be a Variable of this tape', () => {
    const t = new Tape();
    expectError(() => t.backward(any({})), SETypeError, fn, /^Tape\.backward: loss must be a Variable but got an object$/);
    expectError(() => t.backward(new Tape().variable({ data: f32(1), shape: [1] })), SEStateError, fn, /loss belongs to a different tape/);
  });
});

describe('Tape.variable checks its options and its data', () => {
  const fn = 'Tape.variable';
  test.each<[string, () => unknown, new (m: string) => SEError, RegExp]>([
    ['options null', () => new Tape().variable({ data: f32(1), shape: [1] }, any(null)), SETypeError, /options must be an object like \{ requiresGrad, name \} or undefined but got null$/],
    ['requiresGrad a string', () => new Tape().variable({ data: f32(1), shape: [1] }, any({ requiresGrad: 'yes' })), SETypeError, /options\.requiresGrad must be a boolean but is "yes"$/],
    ['name a number', () => new Tape().variable({ data: f32(1), shape: [1] }, any({ name: 7 })), SETypeError, /options\.name must be a string but is 7$/],
    ['constant name a number', () => new Tape().constant({ data: f32(1), shape: [1] }, any(7)), SETypeError, /options\.name must be a string but is 7$/],
    ['data a Proxy around a Float32Array', () => new Tape().variable({ data: new Proxy(f32(1, 2), {}), shape: [2] }), SETypeError, /t\.data must be a Float32Array but got an object posing as a Float32Array/],
  ])('%s', (_name, call, cls, message) => expectError(call, cls, fn, message));

  test('a subclass whose length lies is measured by its true length', () => {
    expectError(() => new Tape().variable({ data: liar([1, 2], 8), shape: [8] }), SEShapeError, fn, /t\.data has length 2/);
  });

  test('a Float32Array from another realm is shared as a plain view of the same memory', () => {
    const foreign = vm.runInNewContext('new Float32Array([1, 2, 3])') as Float32Array;
    const t = new Tape();
    const x = t.variable({ data: foreign, shape: [3] });
    expect(Object.getPrototypeOf(x.data)).toBe(Float32Array.prototype);
    foreign[0] = 10;
    expect(x.data[0]).toBe(10);
    t.backward(sum(mul(x, x)));
    expect(Array.from(x.grad!)).toEqual([20, 4, 6]);
  });
});
