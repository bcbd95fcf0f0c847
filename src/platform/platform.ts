/**
 * The Homebridge dynamic platform. Thin on purpose: it validates the config and forwards
 * Homebridge's lifecycle (cached accessories, launch, shutdown) to the runtime, which hands each
 * configured profile its cached accessories and its grant.
 */
import type { API, DynamicPlatformPlugin, Logging, MatterAccessory, PlatformAccessory, PlatformConfig } from 'homebridge';

import { showConfigFault } from '../accessories/config-fault.js';
import { type Clock, systemClock } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';
import { redactor } from '../withings/redact.js';
import { parseConfig } from './config.js';
import { safeLog } from './log.js';
import { PlatformRuntime } from './runtime.js';

export { GRANT_RESCAN_MS, linkHint } from './runtime.js';

export interface PlatformOptions {
  /** Injected by tests; the system clock otherwise. */
  clock?: Clock;
}

export class WithingsPlatform implements DynamicPlatformPlugin {
  private readonly log: PluginLog;
  private readonly cached: PlatformAccessory[] = [];
  private readonly cachedMatter: MatterAccessory[] = [];
  /** Settles when start-up (cache restored, token store read, first syncs scheduled) is done. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;

  constructor(logging: Logging, rawConfig: PlatformConfig, api: API, options: PlatformOptions = {}) {
    this.log = safeLog(logging);
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    // A simulator (tests, the demo) is not bound by Withings' callback-URL rules.
    const parsed = parseConfig(rawConfig, { simulator: Boolean(process.env.WITHINGS_API_BASE?.trim()) });
    if (typeof rawConfig?.client_secret === 'string') {
      redactor.add(rawConfig.client_secret);
    }
    if (parsed.warnings.length > 0) {
      this.log.warn('Config: %s.', parsed.warnings.join('; '));
    }
    if (!parsed.ok) {
      this.log.error('Invalid configuration, the plugin does nothing until it is fixed: %s.', parsed.errors.join('; '));
      // The cached sensors still show their last values: mark them faulted so they do not look live.
      api.on('didFinishLaunching', () => {
        try {
          const marked = showConfigFault(api.hap, this.cached);
          if (marked > 0) {
            this.log.warn('%d cached sensor%s show a fault in the Home app until the configuration is fixed (see the error above).', marked, marked === 1 ? '' : 's');
          }
        } catch (e) {
          this.log.error('Could not mark the cached accessories as faulted: %s', describeError(e));
        } finally {
          this.markStarted();
        }
      });
      return;
    }
    const runtime = new PlatformRuntime(parsed.config, api, this.log, options.clock ?? systemClock);
    api.on('didFinishLaunching', () => {
      runtime.start(this.cached, this.cachedMatter)
        .catch((e) => this.log.error('Could not start: %s', describeError(e)))
        .finally(() => this.markStarted());
    });
    api.on('shutdown', () => runtime.stop());
  }

  /** Homebridge hands back each cached accessory before `didFinishLaunching`. No I/O here. */
  configureAccessory(accessory: PlatformAccessory): void {
    this.cached.push(accessory);
  }

  /** Homebridge 2.x only, on a Matter-enabled bridge: the cached Matter endpoints. */
  configureMatterAccessory(accessory: MatterAccessory): void {
    this.cachedMatter.push(accessory);
  }
}
