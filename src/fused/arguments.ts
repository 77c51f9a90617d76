/**
 * Argument checks shared by the fused calls and `se-kernels/threads` beyond src/arguments.ts' own
 * (which checks the `buffers` object's keys: `checkKeys`): caller-supplied output arrays, and the
 * channel count of an input.
 */
import { SEShapeError, SETypeError, describeValue } from '../errors.js';
import type { ResolvedSEOptions } from '../options.js';
import { typedArrayLength } from '../intrinsics.js';
import { detachedHint, formatShape, isFloat32Array, plainFloat32 } from '../tensor.js';

/**
 * Checks a caller-supplied output array: a Float32Array of exactly `n` values (by its live length).
 * Returns it (a plain Float32Array over the same memory for a subclass or another realm's array).
 * @internal
 */
export function checkOutput(fn: string, name: string, out: unknown, n: number): Float32Array {
  if (!isFloat32Array(out)) throw new SETypeError(`${fn}: buffers.${name} must be a Float32Array but got ${describeValue(out)}`);
  const length = typedArrayLength(out);
  if (length !== n) throw new SEShapeError(`${fn}: buffers.${name} has length ${length} but needs ${n}${detachedHint(out, length)}`);
  return plainFloat32(out);
}

/**
 * The channel count of an input of this shape in the options' layout, checked against
 * `channels`. The SEShapeError names both and, where the shape suggests it, the likely cause: a
 * missing batch axis, or channels-last data without `layout: 'channels-last'`.
 * @internal
 */
export function checkChannels(fn: string, shape: readonly number[], opts: ResolvedSEOptions, channels: number): number {
  const rank = shape.length;
  const axis = opts.layout === 'channels-first' ? 1 : rank - 1;
  const C = shape[axis];
  if (C === channels) return C;
  let hint = '';
  if (opts.layout === 'channels-first' && shape[rank - 1] === channels) {
    hint = `; the last axis is ${channels}: is x channels-last? pass { layout: 'channels-last' }`;
  } else if (opts.layout === 'channels-last' && shape[1] === channels) {
    hint = `; axis 1 is ${channels}: is x channels-first? drop layout: 'channels-last'`;
  } else if (rank === 3 && (shape[0] === channels || (opts.layout === 'channels-last' && shape[1] === channels))) {
    hint = `; axis 0 is ${channels}: is the batch axis missing? x needs [N, C, ...spatial] (for one sample, shape [1, ${formatShape(shape).slice(1)})`;
  }
  throw new SEShapeError(
    `${fn}: x.shape[${axis}] is ${C} but params.channels is ${channels} (x has shape ${formatShape(shape)}, layout '${opts.layout}')${hint}`,
  );
}
