import type { RunResult } from './train.js';
export function mnistSvg(plain: RunResult[], se: RunResult[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg">${plain.length}${se.length}</svg>`;
}
