/**
 * The SE integration strategies of the SENet paper (Fig. 5), as residual units on the tape around
 * a branch you supply as a function of tape variables (your convolutions, norms, ...):
 *
 *   'standard'  post(x + SE(branch(x)))          the SE-ResNet module
 *   'pre'       post(x + branch(SE(x)))          SE-PRE: SE before the residual branch
 *   'post'      SE(post(x + branch(x)))          SE-POST: SE after the summation (after the ReLU)
 *   'identity'  post(SE(x) + branch(x))          SE-Identity: SE on the identity path
 *   'inner'     post(x + tail(SE(head(x))))      SE inside the branch, after its 3x3 conv: the
 *                                                branch is given as { head, tail } split there
 *
 * `post` is the unit's final activation: ReLU (ResNet, the default) or identity.
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import type { SEOptions } from '../options.js';
import { formatShape } from '../tensor.js';
import { add, relu } from './ops.js';
import { squeezeExcitation, type SEVariables } from './se.js';
import { Variable } from './tape.js';

/** Where the SE block sits in a residual unit (SENet paper, Fig. 5). */
export type SEIntegration = 'standard' | 'pre' | 'post' | 'identity' | 'inner';

/** The residual branch as one function, or split at the point where 'inner' puts the SE block. */
export type ResidualBranch =
  | ((x: Variable) => Variable)
  | {
      /** The branch up to where 'inner' puts the SE block. */
      head: (x: Variable) => Variable;
      /** The rest of the branch, applied to the SE block's output. */
      tail: (x: Variable) => Variable;
    };

/** Options of {@link seResidualUnit}: the SE variant plus the integration strategy. */
export interface SEResidualOptions extends SEOptions {
  /** Where the SE block sits (default 'standard'). */
  strategy?: SEIntegration;
  /** The unit's final activation (default 'relu', as ResNet). */
  postActivation?: 'relu' | 'identity';
}

const STRATEGIES: readonly SEIntegration[] = ['standard', 'pre', 'post', 'identity', 'inner'];

function runBranch(fn: string, f: (x: Variable) => Variable, x: Variable, what: string): Variable {
  const out = f(x);
  if (!(out instanceof Variable)) throw new SETypeError(`${fn}: ${what} must return a Variable but returned ${describeValue(out)}`);
  return out;
}

/**
 * A residual unit with an SE block placed by `options.strategy`.
 * @param x the unit's input `[N, C, ...spatial]` (or channels-last)
 * @param branch the residual branch; for 'inner', `{ head, tail }` split after the 3x3 conv
 * @param p the SE block's parameters (channels = those of the tensor the SE block sees)
 * @param options SE variant options plus `strategy` and `postActivation`
 * @returns the unit's output, x's shape
 */
export function seResidualUnit(x: Variable, branch: ResidualBranch, p: SEVariables, options: SEResidualOptions = {}): Variable {
  const fn = 'seResidualUnit';
  if (!(x instanceof Variable)) throw new SETypeError(`${fn}: x must be a Variable but got ${describeValue(x)}`);
  if (options === null || typeof options !== 'object') {
    throw new SETypeError(`${fn}: options must be an object but got ${describeValue(options)}`);
  }
  const { strategy = 'standard', postActivation = 'relu', ...seOptions } = options;
  if (!STRATEGIES.includes(strategy)) {
    throw new SEOptionError(`${fn}: options.strategy must be one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')} but is ${describeValue(strategy)}`);
  }
  if (postActivation !== 'relu' && postActivation !== 'identity') {
    throw new SEOptionError(`${fn}: options.postActivation must be 'relu' or 'identity' but is ${describeValue(postActivation)}`);
  }
  const split = typeof branch === 'object' && branch !== null && typeof branch.head === 'function' && typeof branch.tail === 'function';
  if (typeof branch !== 'function' && !split) {
    throw new SETypeError(`${fn}: branch must be a function of a Variable or { head, tail } but got ${describeValue(branch)}`);
  }
  if (strategy === 'inner' && !split) {
    throw new SETypeError(`${fn}: strategy 'inner' needs the branch split as { head, tail } (SE goes between them)`);
  }
  const whole = (v: Variable): Variable =>
    typeof branch === 'function' ? runBranch(fn, branch, v, 'branch') : runBranch(fn, branch.tail, runBranch(fn, branch.head, v, 'branch.head'), 'branch.tail');
  const se = (v: Variable): Variable => squeezeExcitation(v, p, seOptions);
  const post = (v: Variable): Variable => (postActivation === 'relu' ? relu(v) : v);
  const residual = (identity: Variable, r: Variable): Variable => {
    if (r.shape.length !== identity.shape.length || r.shape.some((d, k) => d !== identity.shape[k])) {
      throw new SEShapeError(`${fn}: the branch output has shape ${formatShape(r.shape)} but the identity path has ${formatShape(identity.shape)}`);
    }
    return add(identity, r);
  };
  switch (strategy) {
    case 'standard':
      return post(residual(x, se(whole(x))));
    case 'pre':
      return post(residual(x, whole(se(x))));
    case 'post':
      return se(post(residual(x, whole(x))));
    case 'identity':
      return post(residual(se(x), whole(x)));
    case 'inner': {
      const b = branch as { head: (v: Variable) => Variable; tail: (v: Variable) => Variable };
      return post(residual(x, runBranch(fn, b.tail, se(runBranch(fn, b.head, x, 'branch.head')), 'branch.tail')));
    }
  }
}
