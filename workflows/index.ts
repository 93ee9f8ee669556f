// The workflow bundle's entry: every workflow type the workers register.
export { ProbeVideos } from './probe';
export { PrepareDataset } from './prepare';
export { Pretrain } from './pretrain';
export { Finetune } from './finetune';
export { Evaluate } from './evaluate';
export { FsfmPipeline } from './pipeline';
export { Analyze } from './analyze';
export { FsfmSweep } from './sweep';
