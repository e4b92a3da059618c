'use strict';
/**
 * Where the Electron binary is, if it is installed — found the way `require('electron')` finds it
 * (node_modules/electron/path.txt, ELECTRON_OVERRIDE_DIST_PATH) but without its side effect: when the binary
 * is missing, `require('electron')` starts a download, which must never happen from `npm start` or a test run.
 *
 * electronBinary() → { path } | { path: null, reason }
 */
const fs = require('node:fs');
const path = require('node:path');

function electronPackageDir(root) {
  try {
    return path.dirname(require.resolve('electron/package.json', { paths: [root] }));
  } catch {
    return null;
  }
}

function electronBinary(root = path.join(__dirname, '..')) {
  const dir = electronPackageDir(root);
  if (!dir) return { path: null, reason: 'the electron package is not installed' };
  const pathFile = path.join(dir, 'path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, rel || 'electron');
    return fs.existsSync(p) ? { path: p } : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH names no binary (${p})` };
  }
  if (!rel) return { path: null, reason: `no binary was downloaded into ${path.relative(root, dir)} (installed with ELECTRON_SKIP_BINARY_DOWNLOAD or offline)` };
  const p = path.join(dir, 'dist', rel);
  return fs.existsSync(p) ? { path: p } : { path: null, reason: `${path.relative(root, p)} is missing` };
}

module.exports = { electronBinary };
