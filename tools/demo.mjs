#!/usr/bin/env node
// Starts Homebridge (from devDependencies) with the built plugin and a sample config in .demo/.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const storage = resolve('.demo');
mkdirSync(storage, { recursive: true });
writeFileSync(resolve(storage, 'config.json'), JSON.stringify({
  bridge: { name: 'Withings Demo', username: '0E:57:49:54:48:01', port: 51830, pin: '031-45-154', bind: ['127.0.0.1'] },
  platforms: [{ platform: 'Withings', client_id: 'demo-client', client_secret: 'demo-secret', profiles: ['Alice'] }],
}, null, 2));
console.log(`Homebridge starts with the plugin (storage ${storage}). Press Ctrl-C to stop.`);
const child = spawn(process.execPath, ['node_modules/homebridge1/bin/homebridge', '-U', storage, '-Q', '--strict-plugin-resolution', '-P', '.'], { stdio: 'inherit' });
process.on('SIGINT', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
