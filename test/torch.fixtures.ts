/** Reading the golden files of test/fixtures/torch (made by scripts/torch/make-fixtures.py). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A float32 tensor of a fixture. */
export interface FixtureTensor {
  data: Float32Array;
  shape: number[];
}

/** The path of a fixture file. */
export function fixturePath(name: string): string {
  return join(__dirname, 'fixtures', 'torch', name);
}

/** A fixture file's bytes. */
export function fixtureBytes(name: string): Uint8Array {
  return readFileSync(fixturePath(name));
}

/**
 * The Float32Array entries of a readSafetensors result, by name (entries of other dtypes are left
 * out); throws when there are none.
 */
export function float32Tensors(entries: Record<string, { data: unknown; shape: readonly number[] }>): Record<string, FixtureTensor> {
  const out: Record<string, FixtureTensor> = {};
  for (const [name, e] of Object.entries(entries)) {
    if (e.data instanceof Float32Array) out[name] = { data: e.data, shape: e.shape.slice() };
  }
  if (Object.keys(out).length === 0) throw new Error('no float32 tensors');
  return out;
}
