export { expandGrid, gridAxes, gridSize, setPath, getPath, NAMED_AXES, SEED_PATHS, type SweepAxis, type SweepPoint, type GridSpec, type SeedScope } from './grid.js';
export { planSweep, prepareJobsOf, withLeaveOneOut, type SweepPlan, type SweepPlanPoint } from './plan.js';
export { sweepTable, meanCi, studentTQuantile, studentTCdf, cellText, sweepMarkdown, SWEEP_METRICS, AVERAGE_GROUP, type SweepMetric } from './table.js';
export { renderSweepHtml, renderSweepMarkdown, type SweepReportInput } from './report.js';
export { writeSweepReport, sweepPrefix, SWEEP_SET_KIND } from './write.js';
