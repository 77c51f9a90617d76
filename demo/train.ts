/**
 * Teacher-student training on the tape: a student SE block (an `SEBlock` on the tape as one fused
 * op) learns with the library's SGD to imitate a fixed teacher SE block with random weights on
 * random inputs.
 */
import { SEBlock, SGD, Tape, add, createSEParams, mean, mul, scale, seForward, type SEParams } from '../src/core.js';

/** Settings of one training run. */
export interface TrainConfig {
  channels: number;
  hidden: number;
  batch: number;
  spatial: [number, number];
  steps: number;
  learningRate: number;
  seed: number;
  /** Record the loss every this many steps. */
  logEvery: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  channels: 16,
  hidden: 4,
  batch: 16,
  spatial: [6, 6],
  steps: 800,
  learningRate: 4,
  seed: 7,
  logEvery: 50,
};

/** The outcome: loss history, both blocks, and per-channel mean excitations on a probe batch. */
export interface TrainResult {
  config: TrainConfig;
  /** [step, loss] pairs, every `logEvery` steps and the last. */
  history: [number, number][];
  firstLoss: number;
  lastLoss: number;
  teacher: SEParams;
  student: SEParams;
  /** Mean gate value per channel on a probe batch, for the teacher and the trained student. */
  teacherExcitation: number[];
  studentExcitation: number[];
}

/** Uniform values in [-1, 1) from a small LCG (the demo's data, independent of the library). */
function makeRandom(seed: number): (n: number) => Float32Array {
  let s = seed >>> 0;
  return (n) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = s / 2147483648 - 1;
    }
    return out;
  };
}

function meanExcitation(params: SEParams, x: Float32Array, shape: number[]): number[] {
  const { cache } = seForward({ data: x, shape }, params);
  const [N, C] = shape;
  const out = new Array<number>(C).fill(0);
  const s = cache.excitations().data;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[c] += s[n * C + c] / N;
  return out;
}

/** Trains a student SE block to imitate a random teacher with mean squared error and SGD. */
export function trainStudent(config: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainResult {
  const { channels: C, hidden: R, batch: N, spatial, steps, learningRate, seed, logEvery } = config;
  const random = makeRandom(seed);
  const teacher = createSEParams({ channels: C, hidden: R, seed: seed + 1 });
  teacher.b1!.set(random(R).map((v) => 0.5 * v));
  teacher.b2!.set(random(C).map((v) => 0.5 * v));
  const student = new SEBlock({ channels: C, hidden: R, seed: seed + 2, init: 'normal', std: 0.1 });
  const optimizer = new SGD(student.parameters(), { lr: learningRate }); // torch.optim.SGD
  const shape = [N, C, ...spatial];
  const size = N * C * spatial[0] * spatial[1];
  // Inputs with a per-channel offset, so the squeezed values (the teacher's gate inputs) vary a lot.
  const makeBatch = (): Float32Array => {
    const x = random(size);
    const offsets = random(N * C);
    const S = spatial[0] * spatial[1];
    for (let i = 0; i < size; i++) x[i] = 0.5 * x[i] + 2 * offsets[Math.floor(i / S)];
    return x;
  };

  const history: [number, number][] = [];
  for (let step = 0; step <= steps; step++) {
    const x = makeBatch();
    const target = seForward({ data: x, shape }, teacher).y.data;
    const tape = new Tape();
    const xv = tape.constant({ data: x, shape });
    const diff = add(student.tapeForward(xv), scale(tape.constant({ data: target, shape }), -1));
    const loss = mean(mul(diff, diff));
    if (step % logEvery === 0 || step === steps) history.push([step, loss.data[0]]);
    if (step === steps) break;
    optimizer.zeroGrad();
    tape.backward(loss); // adds into student.grads, which the optimizer reads
    optimizer.step(); // updates student.params in place
  }
  const probe = makeBatch();
  return {
    config,
    history,
    firstLoss: history[0][1],
    lastLoss: history[history.length - 1][1],
    teacher,
    student: student.params,
    teacherExcitation: meanExcitation(teacher, probe, shape),
    studentExcitation: meanExcitation(student.params, probe, shape),
  };
}
