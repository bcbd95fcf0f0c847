/**
 * The plugin's logger: Homebridge's own log (prefixed with the platform name), with every message
 * passed through the redactor so that no token, code or secret can ever reach the log.
 */
import { format } from 'node:util';

import type { Logging } from 'homebridge';

import type { PluginLog } from '../util/log.js';
import { redact } from '../withings/redact.js';

export function safeLog(log: Logging): PluginLog {
  const wrap = (fn: (message: string) => void) => (message: string, ...args: unknown[]): void => {
    fn(redact(format(message, ...args)));
  };
  return {
    info: wrap((m) => log.info(m)),
    warn: wrap((m) => log.warn(m)),
    error: wrap((m) => log.error(m)),
    debug: wrap((m) => log.debug(m)),
  };
}
