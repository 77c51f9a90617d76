/**
 * The small binary floats of the safetensors format (F16, BF16 and the 8-bit floats): the value of
 * a bit pattern, and rounding a float64 to a pattern. Decoding goes through tables of every
 * pattern's float32 value, built on first use; every such value is exact in float32.
 */
import { SETypeError, describeValue } from '../../errors.js';

/** A binary floating-point format of at most 16 bits: how its special values are encoded. */
export interface MiniFloat {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /**
   * `ieee`: the top exponent holds infinities (zero mantissa) and NaNs; `fn`: no infinities, only
   * all-ones exponent and mantissa is NaN; `fnuz`: no infinities and no -0, the sign bit alone is NaN.
   */
  specials: 'ieee' | 'fn' | 'fnuz';
}

/** IEEE half precision. */
export const F16_FORMAT: MiniFloat = { exponentBits: 5, mantissaBits: 10, bias: 15, specials: 'ieee' };
/** bfloat16: the top half of a float32. */
export const BF16_FORMAT: MiniFloat = { exponentBits: 8, mantissaBits: 7, bias: 127, specials: 'ieee' };

/** The 8-bit float dtypes, each decoded through a table of its 256 values. */
export type Float8Dtype = 'F8_E5M2' | 'F8_E4M3' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ' | 'F8_E8M0';

/** The 8-bit floats with a sign, exponent and mantissa (F8_E8M0, a bare exponent, is not one). */
const F8_FORMATS: Readonly<Record<Exclude<Float8Dtype, 'F8_E8M0'>, MiniFloat>> = {
  F8_E5M2: { exponentBits: 5, mantissaBits: 2, bias: 15, specials: 'ieee' },
  F8_E4M3: { exponentBits: 4, mantissaBits: 3, bias: 7, specials: 'fn' },
  F8_E4M3FNUZ: { exponentBits: 4, mantissaBits: 3, bias: 8, specials: 'fnuz' },
  F8_E5M2FNUZ: { exponentBits: 5, mantissaBits: 2, bias: 16, specials: 'fnuz' },
};

/** The value of the bit pattern `bits` in format `f` (exact: every such value is a float32). */
function miniFloatValue(bits: number, f: MiniFloat): number {
  const { exponentBits: E, mantissaBits: M, bias } = f;
  const signBit = 1 << (E + M);
  const negative = (bits & signBit) !== 0;
  const exponent = (bits >> M) & ((1 << E) - 1);
  const fraction = bits & ((1 << M) - 1);
  const topExponent = (1 << E) - 1;
  if (f.specials === 'fnuz' && bits === signBit) return NaN;
  if (f.specials === 'ieee' && exponent === topExponent) return fraction !== 0 ? NaN : negative ? -Infinity : Infinity;
  if (f.specials === 'fn' && exponent === topExponent && fraction === (1 << M) - 1) return NaN;
  const magnitude = exponent === 0 ? fraction * 2 ** (1 - bias - M) : ((1 << M) + fraction) * 2 ** (exponent - bias - M);
  return negative ? -magnitude : magnitude;
}

/**
 * The bits of the value whose float64 bit pattern is `hi:lo` in an IEEE-style format of
 * `exponentBits` and `mantissaBits` (at most 19), rounded to nearest with ties to even in one step:
 * magnitudes from the midpoint between the largest finite value and the next power of two overflow
 * to infinity, tiny values round to subnormals or to a zero of the same sign, -0 stays -0, and every
 * NaN becomes the positive quiet NaN (exponent all ones, top mantissa bit set).
 */
function roundToMiniFloatBits(hi: number, lo: number, exponentBits: number, mantissaBits: number): number {
  const topExponent = (1 << exponentBits) - 1;
  const sign = (hi >>> 31) << (exponentBits + mantissaBits);
  const e = (hi >>> 20) & 0x7ff;
  const high20 = hi & 0xfffff;
  if (e === 0x7ff) {
    return high20 === 0 && lo === 0 ? sign | (topExponent << mantissaBits) : (topExponent << mantissaBits) | (1 << (mantissaBits - 1));
  }
  // A float64 subnormal is below 2^-1022, far under half of any target's smallest subnormal.
  if (e === 0) return sign;
  const bias = (1 << (exponentBits - 1)) - 1;
  const exponent = e - 1023;
  if (exponent > bias) return sign | (topExponent << mantissaBits);
  const minExponent = 1 - bias;
  const significand = high20 | 0x100000; // the top 21 bits of the 53-bit significand, implicit one included
  // Bits of `significand` to drop (all of `lo` is dropped too); the kept bits include the implicit
  // one for a normal result, so the biased exponent is added minus one and a carry out of the
  // mantissa moves to the next exponent (up to infinity) by itself.
  let drop = 20 - mantissaBits;
  let base = 0;
  if (exponent >= minExponent) {
    base = (exponent + bias - 1) << mantissaBits;
  } else {
    drop += minExponent - exponent;
    if (drop > 21) return sign; // below half the smallest subnormal
  }
  const kept = significand >>> drop;
  const rest = significand & ((1 << drop) - 1);
  const half = 1 << (drop - 1);
  const up = rest > half || (rest === half && (lo !== 0 || (kept & 1) === 1)) ? 1 : 0;
  return sign | (base + kept + up);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes `values` rounded to the 16-bit format `format` (F16 or BF16), little-endian, at `out[p]`:
 * each value rounded once from its float64 bits, so a Float64Array is not rounded to float32 first.
 */
export function encodeFloat16Bits(values: Float32Array | Float64Array, format: MiniFloat, out: Uint8Array, p: number): void {
  const scratch = new Float64Array(1);
  const words = new Uint32Array(scratch.buffer);
  const hiWord = LITTLE_ENDIAN ? 1 : 0;
  for (let i = 0; i < values.length; i++) {
    scratch[0] = values[i];
    const bits = roundToMiniFloatBits(words[hiWord], words[1 - hiWord], format.exponentBits, format.mantissaBits);
    out[p + 2 * i] = bits & 0xff;
    out[p + 2 * i + 1] = bits >>> 8;
  }
}

let f16Table: Float32Array | null = null;
const f8Tables: Partial<Record<Float8Dtype, Float32Array>> = {};

/** Float32 value of every half bit pattern (built on first use). */
function float16Table(): Float32Array {
  if (f16Table === null) {
    const t = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) t[b] = miniFloatValue(b, F16_FORMAT);
    f16Table = t;
  }
  return f16Table;
}

/** Float32 value of every byte in an 8-bit float dtype (built on first use). */
function float8Table(dtype: Float8Dtype): Float32Array {
  let t = f8Tables[dtype];
  if (t === undefined) {
    t = new Float32Array(256);
    for (let b = 0; b < 256; b++) t[b] = dtype === 'F8_E8M0' ? (b === 255 ? NaN : 2 ** (b - 127)) : miniFloatValue(b, F8_FORMATS[dtype]);
    f8Tables[dtype] = t;
  }
  return t;
}

/** The float32 values of IEEE halves given by their bit patterns. */
export function decodeF16(half: Uint16Array): Float32Array {
  const data = new Float32Array(half.length);
  const table = float16Table();
  for (let i = 0; i < half.length; i++) data[i] = table[half[i]];
  return data;
}

/** The float32 values of bfloat16s given by their bit patterns: widened through the bits, so NaN payloads survive. */
export function decodeBF16(half: Uint16Array): Float32Array {
  const data = new Float32Array(half.length);
  const wide = new Uint32Array(data.buffer);
  for (let i = 0; i < half.length; i++) wide[i] = half[i] << 16;
  return data;
}

/** The float32 values of the bytes of an 8-bit float dtype. */
export function decodeF8(bytes: Uint8Array, dtype: Float8Dtype): Float32Array {
  const table = float8Table(dtype);
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = table[bytes[i]];
  return data;
}

/**
 * The value of an IEEE 754 half-precision number given its 16 bits, handling subnormals
 * (`0x0001` is 2^-24), infinities (`0x7c00`), NaN (`0x7e00`) and negative zero (`0x8000`).
 * Every half is exactly representable as a float32.
 * @param bits the half's bit pattern, an integer from 0 to 0xffff
 * @throws SETypeError for anything else
 */
export function float16BitsToNumber(bits: number): number {
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 0 || bits > 0xffff) {
    throw new SETypeError(`float16BitsToNumber: bits must be an integer from 0 to 65535 (0xffff) but is ${describeValue(bits)}`);
  }
  return miniFloatValue(bits, F16_FORMAT);
}
