/**
 * The strict layout checks of a safetensors header, as the reference reader makes them: the
 * tensors tile the byte buffer exactly, and no name is given twice.
 */
import { SEShapeError, SETypeError, quoted } from '../../errors.js';
import type { SafetensorsTensorInfo } from './types.js';

/** `header entry "name"` for error messages (long names cut). */
export function entryLabel(name: string): string {
  return `header entry ${quoted(name, 80)}`;
}

/**
 * The reference reader's layout rule (huggingface/safetensors `Metadata::validate` and the buffer
 * length check after it): the tensors, ordered by offsets, tile the byte buffer exactly, the first
 * at 0, each starting where the previous ends (no overlap, no hole) and the last ending at the
 * buffer's end (no trailing bytes; a header with no tensors is followed by none). Only then does a
 * file mean one thing to every reader.
 */
export function checkTiling(fn: string, tensors: Readonly<Record<string, SafetensorsTensorInfo>>, bufferLength: number): void {
  const spans = Object.keys(tensors).map((name) => ({ name, begin: tensors[name].dataOffsets[0], end: tensors[name].dataOffsets[1] }));
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: string | null = null;
  for (const t of spans) {
    if (t.begin < at) {
      throw new SEShapeError(
        `${fn}: ${entryLabel(t.name)} (bytes ${t.begin} to ${t.end}) overlaps ${entryLabel(previous ?? '')}, which ends at byte ${at}; tensors must not share bytes`,
      );
    }
    if (t.begin > at) {
      const where = previous === null ? 'the start of the byte buffer' : `the end of ${entryLabel(previous)}`;
      throw new SEShapeError(
        `${fn}: ${entryLabel(t.name)} starts at byte ${t.begin} but ${where} is at byte ${at}: a hole of ${t.begin - at} bytes; ` +
          'the tensors must tile the byte buffer exactly (the first at 0, each where the previous ends)',
      );
    }
    at = t.end;
    previous = t.name;
  }
  if (at < bufferLength) {
    const what = previous === null ? 'the header lists no tensors but' : `the last tensor, ${entryLabel(previous)}, ends at byte ${at} but`;
    throw new SEShapeError(`${fn}: ${what} ${bufferLength - at} more bytes follow (trailing bytes after the data, which the format does not allow)`);
  }
}

/**
 * Refuses a name given twice among the header's top-level keys: JSON.parse keeps the last one
 * silently, so two readers could disagree on what the file holds (the reference refuses). Scans the
 * raw text, already known to be valid JSON: the top-level object's keys, skipping each value.
 */
export function checkDuplicateNames(fn: string, text: string): void {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return;
  i = skipSpace(text, i + 1);
  const seen = new Set<string>();
  while (i < text.length && text[i] !== '}') {
    const end = stringEnd(text, i);
    const key: unknown = JSON.parse(text.slice(i, end));
    if (typeof key === 'string') {
      if (seen.has(key)) throw new SETypeError(`${fn}: the header gives ${key === '__metadata__' ? '"__metadata__"' : entryLabel(key)} twice; names must be unique`);
      seen.add(key);
    }
    i = skipSpace(text, end);
    i = skipSpace(text, valueEnd(text, skipSpace(text, i + 1))); // past ':' and the value
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** The index just past the JSON string starting at `text[i]` (a '"'). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** The index just past the JSON value starting at `text[i]` (valid JSON: brackets balance outside strings). */
function valueEnd(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === '"') {
      j = stringEnd(text, j);
      if (depth === 0) return j;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return j; // the end of the enclosing object: a scalar value ended before it
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && c === ',') return j;
    j++;
  }
  return j;
}
