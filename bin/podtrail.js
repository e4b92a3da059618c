#!/usr/bin/env node
'use strict';
// The `podtrail` command: runs the compiled CLI (built by `npm install` through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'electron', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('podtrail: not built yet; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(3);
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
