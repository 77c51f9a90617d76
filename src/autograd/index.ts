/** The tape: variables, ops, and the SE block composed from them. */
export { Tape, Variable, type BackwardFn, type VariableOptions } from './tape.js';
export * from './ops.js';
export { seParamVariables, squeezeExcitation, type SEVariables } from './se.js';
