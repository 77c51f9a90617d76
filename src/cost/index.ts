/** The cost model ({@link seNetworkCost}, {@link seBlockCost}) and the paper's SE-ResNet tables. */
export * from './model.js';
export * from './resnet.js';
