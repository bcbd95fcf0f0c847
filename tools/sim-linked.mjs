#!/usr/bin/env node
// For manual runs with a real Homebridge (e.g. the HAP/Matter acceptance harness): starts the
// Withings simulator and links the demo people to their profiles in a Homebridge storage folder,
// as the settings UI would. Prints "listening <url>" when ready; stops on SIGINT/SIGTERM.
//   node tools/sim-linked.mjs --port 8123 --storage /path/to/storage [--profiles Alice,Bob]
import { parseArgs } from 'node:util';

import { DEMO_PEOPLE, linkProfiles } from './simulator/link.mjs';
import { startSimulator } from './simulator/server.mjs';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, storage: { type: 'string' }, profiles: { type: 'string', default: 'Alice,Bob' } } });
if (!values.storage) {
  process.stderr.write('usage: node tools/sim-linked.mjs --port N --storage DIR [--profiles Alice,Bob]\n');
  process.exit(2);
}
const sim = await startSimulator({ port: Number(values.port) });
await linkProfiles(sim.url, values.storage, Object.fromEntries(values.profiles.split(',').map((p) => [p, DEMO_PEOPLE[p]])));
process.stdout.write(`listening ${sim.url}\n`);
const stop = () => sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
