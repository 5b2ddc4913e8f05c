#!/usr/bin/env node
// The `paysaga` command: runs the TypeScript CLI through tsx (no build step to forget).
require('tsx/cjs');
process.env.PAYSAGA_CLI = '1';
require('../client/cli.ts');
