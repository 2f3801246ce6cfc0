#!/usr/bin/env node
// The operators' CLI. Run `npm run build` first: this only starts the compiled dist/src/cli/runCli.js.
'use strict';
const { runCli } = require('../dist/src/cli/runCli.js');

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
