/**
 * A reusable workspace for the fused SE block: every buffer `seForward`/`seBackward` need, kept
 * between calls so that, in steady state (same shapes), calls allocate nothing.
 */
import { hasBrand } from './errors.js';
import { allocFloat32, TensorView } from './tensor.js';

const WORKSPACE = Symbol.for('se-kernels.SEWorkspace');

/**
 * Scratch and output buffers for `seForward`/`seBackward`, reused across calls. Pass one as
 * `{ workspace }` to make repeated calls allocation-free. The rules: the results and the cache a
 * call returns live in the workspace and are overwritten by the next call with the same workspace
 * (copy what you keep). A workspace holds one forward's state, so use one workspace per SE block
 * of a network: with a workspace, `seForward` returns the workspace's single cache object, updated
 * in place, and it always describes the latest `seForward` on that workspace. An input that is the
 * workspace's own previous output (`y` fed back as `x`) is fine: y then goes to a fresh buffer.
 */
export class SEWorkspace {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [WORKSPACE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, WORKSPACE);
  }
  /** @internal */ readonly xView = new TensorView();
  /** @internal */ readonly dyView = new TensorView();
  /** @internal */ shape: number[] = [];
  /** @internal */ xCopy: Float32Array = new Float32Array(0);
  /** @internal */ dyCopy: Float32Array = new Float32Array(0);
  /** @internal */ y: Float32Array = new Float32Array(0);
  /** @internal */ z: Float32Array = new Float32Array(0);
  /** @internal */ a: Float32Array = new Float32Array(0);
  /** @internal */ h: Float32Array = new Float32Array(0);
  /** @internal */ g: Float32Array = new Float32Array(0);
  /** @internal */ s: Float32Array = new Float32Array(0);
  /** @internal */ zmax: Float32Array = new Float32Array(0);
  /** @internal */ argmax: Int32Array = new Int32Array(0);
  /** @internal */ acc: Float64Array = new Float64Array(0);
  /** @internal */ dx: Float32Array = new Float32Array(0);
  /** @internal */ dG: Float32Array = new Float32Array(0);
  /** @internal */ dA: Float32Array = new Float32Array(0);
  /** @internal */ dz: Float32Array = new Float32Array(0);
  /** @internal */ shift: Float32Array = new Float32Array(0);
  /** @internal */ dw1: Float32Array = new Float32Array(0);
  /** @internal */ db1: Float32Array = new Float32Array(0);
  /** @internal */ dw2: Float32Array = new Float32Array(0);
  /** @internal */ db2: Float32Array = new Float32Array(0);
}

/** `buf` if it has exactly `n` entries, else a new Float32Array(n) (an SEShapeError if refused). */
export function sized(fn: string, what: string, buf: Float32Array, n: number): Float32Array {
  return buf.length === n ? buf : allocFloat32(fn, what, n);
}
