/** Task queue names, in a module of their own so that clients (the CLI) need not load the workflow SDK. */
export const TASK_QUEUE_CPU = 'fsfm-cpu';
export const TASK_QUEUE_GPU = 'fsfm-gpu';
