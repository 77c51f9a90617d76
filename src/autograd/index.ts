/** The tape: variables, ops, the SE block composed from them, and the paper's integration strategies. */
export { Tape, Variable, type BackwardFn, type SavedArray, type VariableOptions } from './tape.js';
export { Parameter, type ParameterOptions } from './parameter.js';
export * from './ops.js';
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from './losses.js';
export { seParamVariables, squeezeExcitation, squeezeExcitationComposed, type SEVariables } from './se.js';
export { seResidualUnit, type ResidualBranch, type SEIntegration, type SEResidualOptions } from './integration.js';
