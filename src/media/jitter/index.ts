export * from './types.js';
export { JitterBuffer } from './jitter-buffer.js';
export { Unwrapper } from './unwrapper.js';
export { DelayEstimator } from './delay-estimator.js';
export type { DelayEstimatorOptions } from './delay-estimator.js';
