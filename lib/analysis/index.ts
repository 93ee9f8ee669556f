export * from './attention-metrics.js';
export { encoderAttention, patchGeometry, type InspectedModel } from './capture.js';
export { AttentionAccumulator, faceMaps, MAP_KIND_TEXT, type AttentionSummary, type FaceMap, type MapKind } from './summary.js';
export { reconstructionPanel, reconstructionSection, analysisSectionHtml, attentionDistanceChart, attentionOverlay, klDivergenceChart, renderAnalysisHtml, renderAnalysisMarkdown, ANALYSIS_CSS } from './figures.js';
export { analyzeCheckpoint, checkpointKind, type AnalysisProgress, type AnalyzeCheckpointOptions, type AnalyzedCheckpoint, type CheckpointKind } from './analyze.js';
export { writeAnalysis, analysisPrefix, ANALYSIS_SET_KIND, type WrittenAnalysis } from './write.js';
export { denormalizePatches, onlineNetwork, patchifyImage, patchStats, reconstructFaces, reconstructionPanels, toRgb8, unpatchifyImage, NORM_PIX_EPS, type ReconstructionSummary, type ReconstructionTriple, type StrategyReconstructions } from './reconstruction.js';
