#!/usr/bin/env node
// @ts-check
// Starts the Withings simulator and prints `listening http://127.0.0.1:PORT` on stdout when ready.
//   node tools/simulator/cli.mjs [--port N] [--client-id X --client-secret Y] [--redirect-uri URI ...]
//                                [--seed N] [--log] [--lenient-callbacks] [--rate-limit N]
import { startSimulator } from './server.mjs';

/**
 * @param {string} message
 * @returns {never}
 */
function usage(message) {
  process.stderr.write(`${message}\nusage: node tools/simulator/cli.mjs [--port N] [--client-id X --client-secret Y] [--redirect-uri URI ...] [--seed N] [--log] [--lenient-callbacks] [--rate-limit N]\n`);
  process.exit(2);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const out = { port: 0, clientId: 'demo-client', clientSecret: 'demo-secret', redirectUris: /** @type {string[]} */ ([]), seed: 1, log: false, lenient: false, rateLimit: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) {
        return inline;
      }
      const v = argv[++i];
      if (v === undefined) {
        usage(`${flag} needs a value`);
      }
      return v;
    };
    switch (flag) {
      case '--port': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 65535) {
          usage('--port must be an integer between 0 and 65535');
        }
        out.port = v;
        break;
      }
      case '--client-id':
        out.clientId = value();
        break;
      case '--client-secret':
        out.clientSecret = value();
        break;
      case '--redirect-uri':
        // Repeatable; a comma-separated list also works, as in the Withings developer dashboard.
        out.redirectUris.push(...value().split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case '--seed':
        out.seed = Number(value()) || 1;
        break;
      case '--rate-limit':
        out.rateLimit = Number(value()) || 0;
        break;
      case '--log':
        out.log = true;
        break;
      case '--lenient-callbacks':
        out.lenient = true;
        break;
      case '--help':
      case '-h':
        usage('Withings cloud simulator');
        break;
      default:
        usage(`unknown argument: ${arg}`);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
let sim;
try {
  sim = await startSimulator({
    port: args.port,
    clients: [{ client_id: args.clientId, client_secret: args.clientSecret, redirect_uris: args.redirectUris.length ? args.redirectUris : null }],
    seed: args.seed,
    log: args.log,
    callbackCheck: args.lenient ? 'lenient' : 'strict',
    rateLimitPerMinute: args.rateLimit,
  });
} catch (e) {
  process.stderr.write(`withings simulator: cannot start: ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
process.stdout.write(`listening ${sim.url}\n`);

let stopping = false;
const stop = () => {
  if (stopping) {
    return;
  }
  stopping = true;
  sim.close().then(() => process.exit(0), () => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
