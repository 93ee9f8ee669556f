#!/usr/bin/env node
// The `fsfm` bin: runs the TypeScript CLI through tsx's CommonJS hook (no build step).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
// Call main() explicitly: reached through a symlink (node_modules/.bin/fsfm, npx, a global link), neither
// require.main nor argv[1] names this file, so a guard on them would silently do nothing and exit 0.
require('./main.ts').main(process.argv.slice(2));
