export { Resampler } from './resampler.js';
export { designResampler, resamplerFilter } from './filter-design.js';
export type { PolyphaseFilter } from './filter-design.js';
export * from './analysis.js';
