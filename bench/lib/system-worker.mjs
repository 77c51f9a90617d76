// @ts-check
/**
 * Worker side of lib/isolate.mjs: hosts the systems of one module (workerData.moduleUrl, which
 * exports them as `rawSystems`) and answers case / setup / outputs / slice / dispose / call requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runFor } from './measure.mjs';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const mod = await import(workerData.moduleUrl);
/** @type {Map<string, import('../systems/types.mjs').Instance>} */
const instances = new Map();
/** The case the systems are set up on (`case` sends it, once per case). @type {any} */
let current = null;

/** @param {string} key */
function instance(key) {
  const inst = instances.get(key);
  if (!inst) throw new Error(`no instance ${key}`);
  return inst;
}

port.on('message', async (/** @type {any} */ m) => {
  try {
    let result = null;
    if (m.op === 'case') {
      current = m.c;
    } else if (m.op === 'setup') {
      const sys = mod.rawSystems.find((/** @type {{ id: string }} */ s) => s.id === m.systemId);
      if (!sys) throw new Error(`no system ${m.systemId}`);
      if (current === null) throw new Error('no case sent');
      instances.set(m.key, await sys.setup(current, null));
    } else if (m.op === 'outputs') {
      result = await instance(m.key).outputs();
    } else if (m.op === 'slice') {
      result = await runFor(instance(m.key), m.ms, m.minCalls, m.record);
    } else if (m.op === 'dispose') {
      await instance(m.key).dispose?.();
      instances.delete(m.key);
    } else if (m.op === 'call') {
      result = await mod[m.fn]();
    } else {
      throw new Error(`unknown request ${m.op}`);
    }
    port.postMessage({ id: m.id, result });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
