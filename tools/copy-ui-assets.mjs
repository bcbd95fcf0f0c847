#!/usr/bin/env node
// Copies the settings UI's static files (HTML, CSS) next to the compiled server in dist/.
import { cpSync, existsSync } from 'node:fs';

const from = 'src/homebridge-ui/public';
const to = 'dist/homebridge-ui/public';
if (existsSync(from)) {
  cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
