#!/usr/bin/env node
// The `fsfm` bin: runs the TypeScript CLI through tsx's CommonJS hook (no build step).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./main.ts');
