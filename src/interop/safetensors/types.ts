/**
 * The public types of the safetensors reader and writer: dtypes, what reading returns, what writing
 * accepts, and the parsed header.
 */
/**
 * A dtype of the safetensors format:
 * - floats: `F64`, `F32`, `F16` (IEEE half), `BF16` (bfloat16), and the 8-bit floats `F8_E5M2`
 *   (IEEE-like, with infinities), `F8_E4M3` (PyTorch's `float8_e4m3fn`: no infinities, max 448),
 *   `F8_E4M3FNUZ` and `F8_E5M2FNUZ` (no infinities, no -0, the pattern 0x80 is NaN), `F8_E8M0`
 *   (the OCP MX scale: 2^(bits - 127), 0xff is NaN);
 * - `C64`: complex numbers of two float32 parts;
 * - integers `I64`, `U64`, `I32`, `U32`, `I16`, `U16`, `I8`, `U8`, and `BOOL` (one byte, 0 or 1);
 * - sub-byte floats `F4` (OCP MX FP4 E2M1, 4 bits) and `F6_E2M3`, `F6_E3M2` (OCP MX FP6, 6 bits).
 */
export type SafetensorsDtype =
  | 'BOOL'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

/** The real floating-point dtypes, which {@link readSafetensors} decodes into Float32Array. */
export type SafetensorsFloatDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E5M2' | 'F8_E4M3' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ' | 'F8_E8M0';

/** The sub-byte dtypes, whose packing the format does not define: read and written as raw bytes. */
export type SafetensorsPackedDtype = 'F4' | 'F6_E2M3' | 'F6_E3M2';

/** The typed array each integer dtype (and BOOL) is read into and written from. */
export interface SafetensorsIntegerArrays {
  I64: BigInt64Array;
  U64: BigUint64Array;
  I32: Int32Array;
  U32: Uint32Array;
  I16: Int16Array;
  U16: Uint16Array;
  I8: Int8Array;
  U8: Uint8Array;
  /** One byte per element, 0 (false) or 1 (true). */
  BOOL: Uint8Array;
}

/**
 * A float tensor read from a file: a dense row-major FloatTensor (so it goes straight into
 * `seForward`, `loadSEParams` or any scijs code) that also says which dtype the file stored.
 * F64 values are rounded to the nearest float32 (overflowing to ±Infinity); every other float
 * dtype widens exactly.
 */
export interface SafetensorsFloatEntry {
  /** The dtype in the file. */
  dtype: SafetensorsFloatDtype;
  /** The values, one float32 per element. */
  data: Float32Array;
  /** The shape in the file (`[]` for a scalar; dims may be 0). */
  shape: number[];
  /** Row-major strides of `shape`. */
  stride: number[];
  /** Always 0. */
  offset: number;
}

/**
 * A `C64` tensor read from a file, laid out as PyTorch's `torch.view_as_real` does: a Float32Array
 * of (real, imaginary) pairs with shape `[...fileShape, 2]`.
 */
export interface SafetensorsComplexEntry {
  dtype: 'C64';
  /** Interleaved real and imaginary parts. */
  data: Float32Array;
  /** The file's shape with a trailing 2. */
  shape: number[];
  /** Row-major strides of `shape`. */
  stride: number[];
  /** Always 0. */
  offset: number;
}

/**
 * An integer or BOOL tensor read from a file, in the typed array of its dtype (see
 * {@link SafetensorsIntegerArrays}): I64 gives a BigInt64Array, U8 and BOOL a Uint8Array, and so on.
 * Values are decoded from little-endian whatever the platform's byte order.
 */
export type SafetensorsIntegerEntry = {
  [D in keyof SafetensorsIntegerArrays]: {
    dtype: D;
    data: SafetensorsIntegerArrays[D];
    /** The shape in the file (`[]` for a scalar, e.g. BatchNorm's `num_batches_tracked`). */
    shape: number[];
    /** Row-major strides of `shape`. */
    stride: number[];
    /** Always 0. */
    offset: number;
  };
}[keyof SafetensorsIntegerArrays];

/**
 * A sub-byte tensor (`F4`, `F6_E2M3`, `F6_E3M2`) read from a file: its bytes exactly as stored.
 * The format fixes the element count and bit width but not how elements are packed into bytes
 * (which nibble comes first), so these are not decoded; `data.length` is
 * `shape`'s element count times the bit width / 8, and there is no stride.
 */
export interface SafetensorsPackedEntry {
  dtype: SafetensorsPackedDtype;
  /** The raw bytes of the tensor. */
  data: Uint8Array;
  /** The element shape in the file. */
  shape: number[];
}

/**
 * One tensor as {@link readSafetensors} returns it, discriminated by `dtype`: check
 * `entry.dtype` (or use `entry.data instanceof Float32Array`) before handing an entry to code that
 * needs a FloatTensor. Every entry's data is a fresh array that shares no memory with the file.
 */
export type SafetensorsEntry = SafetensorsFloatEntry | SafetensorsComplexEntry | SafetensorsIntegerEntry | SafetensorsPackedEntry;

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * Called once per tensor name, in header order, after the whole header is validated; tensors it
   * returns false for are neither decoded nor returned. Must return a boolean.
   */
  filter?: (name: string) => boolean;
}

/**
 * A tensor {@link writeSafetensors} accepts, as a view `{ data, shape, stride?, offset? }` plus an
 * optional `dtype` to store it as. Without `dtype`, the array's type decides (Float32Array -> F32,
 * Float64Array -> F64, BigInt64Array -> I64, Int32Array -> I32, Uint8Array -> U8, ...). A scijs
 * ndarray's own `dtype` (`'float32'`, `'int32'`, ...) counts as no dtype. Every
 * {@link SafetensorsEntry} is accepted as it is (F8 entries excepted at run time: see
 * {@link SAFETENSORS_WRITE_DTYPES}).
 */
export type SafetensorsWriteTensor =
  | {
      data: Float32Array | Float64Array;
      shape: readonly number[];
      stride?: readonly number[];
      offset?: number;
      /** `F32`, `F16`, `BF16` (rounded to nearest, ties to even), `F64`, or `C64` (last dim 2: real, imaginary). */
      dtype?: SafetensorsFloatDtype | 'C64' | 'float32' | 'float64';
    }
  | {
      [D in keyof SafetensorsIntegerArrays]: {
        data: SafetensorsIntegerArrays[D];
        shape: readonly number[];
        stride?: readonly number[];
        offset?: number;
        dtype?: D | ScijsDtypeName;
      };
    }[keyof SafetensorsIntegerArrays]
  | SafetensorsPackedEntry;

/** What a scijs ndarray reports as its `dtype` for an integer typed array (accepted and ignored by the writer, which goes by the array). */
export type ScijsDtypeName = 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'bigint64' | 'biguint64';

/** A parsed and validated safetensors header entry. */
export interface SafetensorsTensorInfo {
  /** The dtype as written in the file, e.g. `'F32'`. */
  dtype: SafetensorsDtype;
  /** The tensor's shape (may be `[]` for a scalar; dims may be 0). */
  shape: number[];
  /** `[begin, end)` byte range of the tensor's data, relative to the start of the byte buffer. */
  dataOffsets: [number, number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
  /** Every tensor's entry, by name, in the header's order. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** Index in the file of the first byte of the byte buffer (8 + header length). */
  dataStart: number;
}
