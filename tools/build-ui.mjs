#!/usr/bin/env node
// Builds the settings page into dist/homebridge-ui/public: the page's TypeScript bundled into one
// browser script by esbuild (so it may import the UI contract and libraries; Config UI X may have
// no internet, so nothing is loaded from a CDN), and the static files (HTML, CSS) copied as they are.
import { cpSync, existsSync, statSync } from 'node:fs';

import { build } from 'esbuild';

const from = 'src/homebridge-ui/public';
const to = 'dist/homebridge-ui/public';

cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('.ts') });
// One callback page: the file the project hosts on GitHub Pages is also the one the plugin serves.
cpSync('docs/callback.html', `${to}/callback.html`);
// dashboard.ts is its own entry: the charts (Chart.js) never weigh on the linking part.
const entries = ['ui.ts', 'dashboard.ts'].filter((f) => existsSync(`${from}/${f}`)).map((f) => `${from}/${f}`);
await build({
  entryPoints: entries,
  outdir: to,
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: process.env.UI_MINIFY !== '0',
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const f of entries) {
  const out = `${to}/${f.replace(/^.*\//, '').replace(/\.ts$/, '.js')}`;
  console.log(`${out}: ${statSync(out).size} bytes`);
}
