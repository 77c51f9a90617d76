/**
 * One-file checkpoints: an {@link SEBlock} and its optimizer in one safetensors file, so a run can
 * stop and resume bit-identically, or move to PyTorch and back (docs/checkpoints.md).
 *
 * The file (a plain safetensors file; PyTorch reads it key for key):
 * - tensors `model.<key>`: `block.stateDict('torchvision')` (`model.fc1.weight [R, C, 1, 1]`, ...);
 * - tensors `optimizer.state.<i>.<key>`: the optimizer's state tensors by parameter index
 *   (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `momentum_buffer`), each in its parameter's
 *   torchvision shape, as torch keeps them;
 * - `__metadata__` (strings): `format` `'pt'`; `se-kernels.checkpoint` `'1'` (this layout's
 *   version); `model`, JSON `{ convention, channels, hidden, bias, layout, squeeze, activation, gate }`;
 *   `optimizer` (when there is one), JSON `{ class, param_groups, state }` where `param_groups` is
 *   the state dict's (torch's names) and `state` holds each parameter's non-tensor entries (`step`,
 *   a `momentum_buffer` of null) by index; plus the caller's own string entries.
 */
import { readOptions } from './arguments.js';
import type { Parameter } from './autograd/parameter.js';
import { SEBlock, type SEBlockOptions } from './block.js';
import { SEOptionError, SETypeError, describeThrown, describeValue } from './errors.js';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors, type SafetensorsEntry, type SafetensorsWriteTensor } from './interop/safetensors/index.js';
import { Adam, AdamW } from './optim/adam.js';
import { SGD } from './optim/sgd.js';
import { SE_ACTIVATIONS, SE_GATES, SE_LAYOUTS, SE_SQUEEZES } from './options.js';
import { plainTensor } from './tensor.js';

/** The version of the checkpoint layout, stored as metadata `se-kernels.checkpoint`. */
export const CHECKPOINT_VERSION = '1';

const VERSION_KEY = 'se-kernels.checkpoint';
const RESERVED = ['format', VERSION_KEY, 'model', 'optimizer'];

/** An optimizer {@link saveCheckpoint} can store. */
export type CheckpointOptimizer = SGD | Adam | AdamW;

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** More `__metadata__` entries of your own (strings; e.g. `{ epoch: '3' }`); the reserved keys `format`, `se-kernels.checkpoint`, `model`, `optimizer` are refused. */
  metadata?: Readonly<Record<string, string>>;
}

/** What {@link loadCheckpoint} returns. */
export interface Checkpoint<B extends SEBlock = SEBlock> {
  /** A fresh block with the saved variant and weights. */
  block: B;
  /** A fresh optimizer over `block.parameters()` with the saved hyperparameters and state, or null when none was saved. */
  optimizer: CheckpointOptimizer | null;
  /** Every `__metadata__` entry of the file (the caller's own and the reserved ones). */
  metadata: Record<string, string>;
}

/** The class name stored for an optimizer. */
function optimizerClass(opt: CheckpointOptimizer): 'SGD' | 'Adam' | 'AdamW' {
  if (opt instanceof AdamW) return 'AdamW';
  return opt instanceof Adam ? 'Adam' : 'SGD';
}

/**
 * A block and (optionally) its optimizer as the bytes of one safetensors file (see the module
 * notes for the layout). The optimizer must be over `block.parameters()`, in that order, so that
 * its state indices are the model's parameter indices, as in torch.
 * @param block the block (its weights and variant are saved)
 * @param optimizer an SGD, Adam or AdamW over `block.parameters()`, or null / undefined
 * @param options `metadata`: more string entries for `__metadata__`
 * @returns the file's bytes
 * @example writeFileSync('run.safetensors', saveCheckpoint(block, opt, { metadata: { epoch: '3' } }))
 */
export function saveCheckpoint(block: SEBlock, optimizer?: CheckpointOptimizer | null, options?: SaveCheckpointOptions): Uint8Array {
  const fn = 'saveCheckpoint';
  if (!(block instanceof SEBlock)) throw new SETypeError(`${fn}: block must be an SEBlock but got ${describeValue(block)}`);
  const metadata = extraMetadata(fn, options);
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [key, t] of Object.entries(block.stateDict('torchvision'))) tensors[`model.${key}`] = t;
  metadata.format = 'pt';
  metadata[VERSION_KEY] = CHECKPOINT_VERSION;
  metadata.model = modelMetadata(block);
  if (optimizer !== undefined && optimizer !== null) metadata.optimizer = saveOptimizer(fn, block, optimizer, tensors);
  return writeSafetensors(tensors, metadata);
}

/** The caller's `options.metadata` entries, checked: strings, none of the checkpoint's own keys. */
function extraMetadata(fn: string, options: unknown): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (options === null) throw new SETypeError(`${fn}: options must be an object like { metadata } but got ${describeValue(options)}`);
  const extra: unknown = readOptions(fn, options, ['metadata']).metadata;
  if (extra === undefined) return metadata;
  if (extra === null || typeof extra !== 'object') throw new SETypeError(`${fn}: options.metadata must be an object of strings but got ${describeValue(extra)}`);
  for (const [key, value] of Object.entries(extra)) {
    if (RESERVED.includes(key)) throw new SEOptionError(`${fn}: options.metadata["${key}"] is reserved for the checkpoint itself; use another key`);
    if (typeof value !== 'string') throw new SETypeError(`${fn}: options.metadata["${key.slice(0, 40)}"] must be a string but is ${describeValue(value)}`);
    metadata[key] = value;
  }
  return metadata;
}

/** The `model` metadata entry: the block's convention, sizes and variant, as JSON. */
function modelMetadata(block: SEBlock): string {
  const p = block.params;
  const o = block.options;
  return JSON.stringify({
    convention: 'torchvision',
    channels: p.channels,
    hidden: p.hidden,
    bias: p.b1 !== null,
    layout: o.layout,
    squeeze: o.squeeze,
    activation: o.activation,
    gate: o.gate,
  });
}

/**
 * Adds the optimizer's state tensors to `tensors` (`optimizer.state.<index>.<key>`, in the shape of
 * their parameter) and returns the `optimizer` metadata entry: its class, groups and scalar state.
 */
function saveOptimizer(fn: string, block: SEBlock, optimizer: CheckpointOptimizer, tensors: Record<string, SafetensorsWriteTensor>): string {
  if (!(optimizer instanceof SGD) && !(optimizer instanceof Adam)) {
    throw new SETypeError(`${fn}: optimizer must be an SGD, Adam or AdamW (or null) but got ${describeValue(optimizer)}`);
  }
  const params = block.parameters();
  const own = optimizer.parameters;
  if (own.length !== params.length || own.some((q, i) => q !== params[i])) {
    throw new SEOptionError(`${fn}: optimizer must be over block.parameters(), in that order (its state is saved by parameter index), but its parameters differ`);
  }
  const shapes = Object.values(block.stateDict('torchvision')).map((t) => t.shape);
  const sd = optimizer.stateDict();
  const scalars: Record<string, Record<string, unknown>> = {};
  for (const [index, entry] of Object.entries(sd.state)) {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value instanceof Float32Array) tensors[`optimizer.state.${index}.${key}`] = plainTensor(value, shapes[Number(index)]);
      else kept[key] = value;
    }
    scalars[index] = kept;
  }
  return JSON.stringify({ class: optimizerClass(optimizer), param_groups: sd.param_groups, state: scalars });
}

/** A metadata entry parsed as a JSON object, or an SETypeError saying which. */
function jsonObject(fn: string, metadata: Record<string, string>, key: string): Record<string, unknown> {
  const text = metadata[key];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SETypeError(`${fn}: metadata "${key}" is not valid JSON (${describeThrown(e)})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SETypeError(`${fn}: metadata "${key}" must be a JSON object but is ${describeValue(v)}`);
  return v as Record<string, unknown>;
}

/** One of `allowed`, or an SETypeError naming the model field. */
function pick<T extends string>(fn: string, field: string, v: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new SETypeError(`${fn}: metadata "model".${field} must be one of ${allowed.join(', ')} but is ${describeValue(v)}`);
  return found;
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} (or converted from PyTorch in the same
 * layout): a fresh block of the saved variant holding the saved weights (loaded strictly), and a
 * fresh optimizer of the saved class over its parameters with the saved hyperparameters and state,
 * so that the next steps are exactly those the saved run would have taken.
 * @param bytes the file's bytes
 * @returns `{ block, optimizer, metadata }`
 * @throws SETypeError / SEShapeError / SEOptionError for a file that is not such a checkpoint,
 *   naming what is wrong (a missing or malformed metadata entry, a missing, unexpected or misshapen tensor)
 */
export function loadCheckpoint(bytes: Uint8Array): Checkpoint {
  return loadCheckpointAs('loadCheckpoint', SEBlock, bytes);
}

/**
 * {@link loadCheckpoint} making its block with `Block` (the main entry's SEBlock returns scijs ndarrays).
 * @internal
 */
export function loadCheckpointAs<B extends SEBlock>(fn: string, Block: new (options: SEBlockOptions) => B, bytes: Uint8Array): Checkpoint<B> {
  const metadata = readSafetensorsMetadata(bytes);
  const entries = readSafetensors(bytes);
  if (metadata[VERSION_KEY] !== CHECKPOINT_VERSION) {
    throw new SETypeError(
      `${fn}: metadata "${VERSION_KEY}" is ${describeValue(metadata[VERSION_KEY])} but a checkpoint of this version has '${CHECKPOINT_VERSION}' ` +
        '(not a file saveCheckpoint wrote, or converted to its layout: see docs/checkpoints.md)',
    );
  }
  const block = blockFromMetadata(fn, Block, metadata);
  const { model, stateTensors } = splitTensors(fn, entries, metadata.optimizer !== undefined);
  block.loadStateDict(model, { strict: true });
  const optimizer = metadata.optimizer === undefined ? null : loadOptimizer(fn, metadata, stateTensors, block.parameters());
  return { block, optimizer, metadata };
}

/** A fresh block (zero weights) of the sizes and variant the `model` metadata entry gives. */
function blockFromMetadata<B extends SEBlock>(fn: string, Block: new (options: SEBlockOptions) => B, metadata: Record<string, string>): B {
  if (metadata.model === undefined) throw new SETypeError(`${fn}: metadata "model" is missing`);
  const m = jsonObject(fn, metadata, 'model');
  if (m.convention !== 'torchvision') throw new SETypeError(`${fn}: metadata "model".convention must be 'torchvision' but is ${describeValue(m.convention)}`);
  for (const field of ['channels', 'hidden']) {
    const v = m[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new SETypeError(`${fn}: metadata "model".${field} must be a positive integer but is ${describeValue(v)}`);
  }
  if (typeof m.bias !== 'boolean') throw new SETypeError(`${fn}: metadata "model".bias must be true or false but is ${describeValue(m.bias)}`);
  return new Block({
    channels: m.channels as number,
    hidden: m.hidden as number,
    bias: m.bias,
    init: 'zeros',
    layout: pick(fn, 'layout', m.layout, SE_LAYOUTS),
    squeeze: pick(fn, 'squeeze', m.squeeze, SE_SQUEEZES),
    activation: pick(fn, 'activation', m.activation, SE_ACTIVATIONS),
    gate: pick(fn, 'gate', m.gate, SE_GATES),
  });
}

/** The file's tensors split into the model's (`model.<key>`) and the optimizer state's, by index then key; anything else is refused. */
function splitTensors(
  fn: string,
  entries: Record<string, SafetensorsEntry>,
  hasOptimizer: boolean,
): { model: Record<string, SafetensorsEntry>; stateTensors: Map<string, Map<string, SafetensorsEntry>> } {
  const model: Record<string, SafetensorsEntry> = {};
  const stateTensors = new Map<string, Map<string, SafetensorsEntry>>();
  for (const [name, entry] of Object.entries(entries)) {
    if (name.startsWith('model.')) {
      model[name.slice('model.'.length)] = entry;
      continue;
    }
    const match = /^optimizer\.state\.(0|[1-9][0-9]*)\.([a-z_]+)$/.exec(name);
    if (match === null || !hasOptimizer) {
      throw new SETypeError(`${fn}: unexpected tensor "${name.slice(0, 80)}"; a checkpoint holds model.<key> and optimizer.state.<index>.<key> tensors`);
    }
    let byIndex = stateTensors.get(match[1]);
    if (byIndex === undefined) stateTensors.set(match[1], (byIndex = new Map()));
    byIndex.set(match[2], entry);
  }
  return { model, stateTensors };
}

/** A fresh optimizer of the saved class over `params`, loaded with the saved groups and state (scalars from metadata, tensors from the file). */
function loadOptimizer(
  fn: string,
  metadata: Record<string, string>,
  stateTensors: Map<string, Map<string, SafetensorsEntry>>,
  params: Parameter[],
): CheckpointOptimizer {
  const o = jsonObject(fn, metadata, 'optimizer');
  const groups = o.param_groups;
  const scalars = o.state;
  if (scalars === null || typeof scalars !== 'object' || Array.isArray(scalars)) {
    throw new SETypeError(`${fn}: metadata "optimizer".state must be an object by parameter index but is ${describeValue(scalars)}`);
  }
  const state: Record<string, Record<string, unknown>> = {};
  for (const [index, entry] of Object.entries(scalars as Record<string, unknown>)) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new SETypeError(`${fn}: metadata "optimizer".state["${index.slice(0, 40)}"] must be an object but is ${describeValue(entry)}`);
    }
    state[index] = { ...(entry as Record<string, unknown>) };
  }
  for (const [index, byKey] of stateTensors) {
    const target = state[index] ?? (state[index] = {});
    for (const [key, entry] of byKey) target[key] = entry;
  }
  let optimizer: CheckpointOptimizer;
  const cls = o.class;
  if (cls === 'SGD') optimizer = new SGD(params, { lr: 0 });
  else if (cls === 'Adam') optimizer = new Adam(params);
  else if (cls === 'AdamW') optimizer = new AdamW(params);
  else throw new SETypeError(`${fn}: metadata "optimizer".class must be 'SGD', 'Adam' or 'AdamW' but is ${describeValue(cls)}`);
  if (!Array.isArray(groups)) throw new SETypeError(`${fn}: metadata "optimizer".param_groups must be an array but is ${describeValue(groups)}`);
  optimizer.loadStateDict({ state, param_groups: groups });
  return optimizer;
}
