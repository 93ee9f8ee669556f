export * from './aggregate.js';
export * from './bootstrap.js';
export * from './evaluate.js';
export * from './metrics.js';
export * from './options.js';
export * from './report.js';
export * from './roc.js';
export * from './curves.js';
