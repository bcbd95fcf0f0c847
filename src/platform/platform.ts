/**
 * The Homebridge dynamic platform. Thin on purpose: it validates the config, restores cached
 * accessories, reads the token store and hands each configured profile to its ProfileController.
 */
import { join } from 'node:path';

import type { API, DynamicPlatformPlugin, Logging, MatterAccessory, PlatformAccessory, PlatformConfig } from 'homebridge';

import { AlertSensors } from '../accessories/alerts.js';
import { type MatterContext, MatterSensors } from '../accessories/matter.js';
import type { AccessoryRegistry } from '../accessories/profile-accessories.js';
import { isGroupContext, ProfileAccessories } from '../accessories/profile-accessories.js';
import { profileDisplayName } from '../accessories/names.js';
import { ReadingEvents } from '../accessories/reading-events.js';
import { PLATFORM_NAME, PLUGIN_NAME, PLUGIN_VERSION, TOKEN_DIR_NAME } from '../settings.js';
import { type Clock, systemClock } from '../withings/clock.js';
import { WithingsHttp } from '../withings/http.js';
import { RequestLimiter } from '../withings/limiter.js';
import { redactor } from '../withings/redact.js';
import { TokenStore } from '../withings/token-store.js';
import { parseConfig, type WithingsConfig } from './config.js';
import { matchGrants, profileKey } from './grants.js';
import { describeError, type PluginLog, safeLog } from './log.js';
import { ProfileController } from './profile-controller.js';
import { type PluginStatusFile, writeStatusFile } from './status-file.js';
import { staggerMs } from './sync-policy.js';

/** How often the token folder is re-read even without a file-system event (network shares, Docker). */
export const GRANT_RESCAN_MS = 30_000;

export interface PlatformOptions {
  /** Injected by tests; the system clock otherwise. */
  clock?: Clock;
}

export class WithingsPlatform implements DynamicPlatformPlugin {
  private readonly log: PluginLog;
  private readonly config?: WithingsConfig;
  private readonly clock: Clock;
  private readonly cached: PlatformAccessory[] = [];
  private readonly cachedMatter: MatterAccessory[] = [];
  private readonly controllers = new Map<string, ProfileController>();
  private readonly abort = new AbortController();
  private store?: TokenStore;
  private watcher?: { close(): void };
  private rescanTimer?: { cancel(): void };
  private reportedProblems = new Set<string>();
  private statusWriting = false;
  private linkOwners = new Map<string, string>();
  private statusDirty = false;
  private stopped = false;
  /** Settles when start-up (cache restored, token store read, first syncs scheduled) is done. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;

  constructor(logging: Logging, rawConfig: PlatformConfig, private readonly api: API, options: PlatformOptions = {}) {
    this.log = safeLog(logging);
    this.clock = options.clock ?? systemClock;
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    const parsed = parseConfig(rawConfig);
    if (typeof rawConfig?.client_secret === 'string') {
      redactor.add(rawConfig.client_secret);
    }
    if (parsed.warnings.length > 0) {
      this.log.warn('Config: %s.', parsed.warnings.join('; '));
    }
    if (!parsed.ok) {
      this.log.error('Invalid configuration, the plugin does nothing until it is fixed: %s.', parsed.errors.join('; '));
      this.markStarted();
      return;
    }
    this.config = parsed.config;
    api.on('didFinishLaunching', () => {
      this.start()
        .catch((e) => this.log.error('Could not start: %s', describeError(e)))
        .finally(() => this.markStarted());
    });
    api.on('shutdown', () => this.stop());
  }

  /** Homebridge hands back each cached accessory before `didFinishLaunching`. No I/O here. */
  configureAccessory(accessory: PlatformAccessory): void {
    this.cached.push(accessory);
  }

  /** Homebridge 2.x only, on a Matter-enabled bridge: the cached Matter endpoints. */
  configureMatterAccessory(accessory: MatterAccessory): void {
    this.cachedMatter.push(accessory);
  }

  /** The Matter API when the user asked for Matter and this bridge serves it; never touched otherwise. */
  private matterApi(): API['matter'] | undefined {
    if (!this.config?.matter) {
      return undefined;
    }
    if (this.api.isMatterEnabled?.() && this.api.matter) {
      return this.api.matter;
    }
    if (this.api.isMatterAvailable?.()) {
      this.log.warn('"matter" is on, but Matter is not enabled for this bridge: enable it in the Homebridge UI (bridge settings → Matter), or turn "matter" off.');
    } else {
      this.log.debug('"matter" is on, but this Homebridge has no Matter support (Homebridge 2.x is needed).');
    }
    return undefined;
  }

  private registry(): AccessoryRegistry {
    const { api } = this;
    return {
      create: (name, uuid) => new api.platformAccessory(name, uuid, api.hap.Categories.SENSOR),
      register: (list) => api.registerPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, list),
      save: (list) => api.updatePlatformAccessories(list),
      unregister: (list) => api.unregisterPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, list),
    };
  }

  private async start(): Promise<void> {
    const config = this.config!;
    this.store = new TokenStore(join(this.api.user.storagePath(), TOKEN_DIR_NAME));
    const registry = this.registry();
    const http = new WithingsHttp({ signal: this.abort.signal });
    const limiter = new RequestLimiter(this.clock);
    const intervalMs = config.updateIntervalSeconds * 1000;

    const matter = this.matterApi();
    config.profiles.forEach((name, index) => {
      const events = new ReadingEvents(this.api.hap, config.metrics, config.readingEvents);
      const alerts = new AlertSensors(this.api.hap, config.alerts.filter((a) => a.profile === name));
      const features = matter
        ? [events, alerts, new MatterSensors(matter, { plugin: PLUGIN_NAME, platform: PLATFORM_NAME }, config.metrics, this.log, () => Math.floor(this.clock.now() / 1000), PLUGIN_VERSION)]
        : [events, alerts];
      const accessories = new ProfileAccessories(
        this.api.hap, registry, { name, displayName: profileDisplayName(name, index) }, config.metrics, features, PLUGIN_VERSION,
      );
      const controller = new ProfileController({
        log: this.log, clock: this.clock, store: this.store!, http, limiter,
        client: { clientId: config.clientId, clientSecret: config.clientSecret },
        metrics: config.metrics, intervalMs, signal: this.abort.signal, onStatus: () => this.statusChanged(),
      }, accessories, staggerMs(index, config.profiles.length, intervalMs));
      controller.addListener({
        onSync: (report) => {
          const { changed, pressed } = events.onSync(report, accessories.groupAccessories(), Math.floor(this.clock.now() / 1000));
          accessories.save(changed);
          for (const p of pressed) {
            this.log.info('%s: new %s%s.', name, p.kind.label.toLocaleLowerCase(), p.count > 1 ? ` (${p.count})` : '');
          }
        },
      });
      this.controllers.set(profileKey(name), controller);
    });

    // Cached accessories: restored into their profile (last values shown at once) or removed. The
    // token files say which profile shows which Withings user now, so a profile renamed in the
    // settings (its link moved to the new name) keeps its accessories, rooms and automations.
    this.linkOwners = await this.readLinkOwners();
    const stale: PlatformAccessory[] = [];
    for (const accessory of this.cached) {
      const ctx = accessory.context;
      const controller = isGroupContext(ctx) ? this.controllerOf(ctx) : undefined;
      if (controller) {
        controller.adopt(accessory);
      } else {
        stale.push(accessory);
      }
    }
    if (stale.length > 0) {
      registry.unregister(stale);
      this.log.info('Removed %d accessor%s of profiles no longer configured.', stale.length, stale.length === 1 ? 'y' : 'ies');
    }

    await this.rescanGrants(true);
    if (this.stopped) {
      return;
    }
    this.retireMatter(matter !== undefined);
    this.watcher = this.store.watch(() => void this.rescanGrants(false));
    this.scheduleRescan();
  }

  /** Withings user id → the configured profile its token file names (renames are followed). */
  private async readLinkOwners(): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    try {
      for (const [profile, record] of matchGrants(this.config!.profiles, await this.store!.list()).byProfile) {
        if (record) {
          owners.set(record.userid, profile);
        }
      }
    } catch {
      // Unreadable folder: the accessories' own profile names are used; rescanGrants reports it.
    }
    return owners;
  }

  /** The controller a cached HAP or Matter accessory belongs to, by its user's link, then its profile name. */
  private controllerOf(ctx: { profile?: string; userid?: string }): ProfileController | undefined {
    const owner = ctx.userid ? this.linkOwners.get(ctx.userid) : undefined;
    return this.controllers.get(profileKey(owner ?? ctx.profile ?? ''));
  }

  /**
   * Unregisters cached Matter endpoints nobody wants any more: Matter turned off, a profile removed,
   * a measurement deselected, or a profile now linked to another Withings user.
   */
  private retireMatter(enabled: boolean): void {
    if (this.cachedMatter.length === 0) {
      return; // always the case on Homebridge 1.x and on bridges without Matter
    }
    const matter = this.api.matter;
    if (!matter) {
      return;
    }
    const selected = new Set(this.config!.metrics.filter((m) => m.matter).map((m) => m.key));
    const stale = this.cachedMatter.filter((a) => {
      const ctx = a.context as Partial<MatterContext>;
      const controller = this.controllerOf(ctx);
      const userid = controller?.accessories.linkedUserid;
      return !enabled || !controller || !ctx.key || !selected.has(ctx.key) || (userid !== undefined && userid !== ctx.userid);
    });
    if (stale.length > 0) {
      matter.unregisterPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, stale)
        .then(() => this.log.debug('Matter: removed %d endpoint(s) no longer wanted.', stale.length))
        .catch((e: unknown) => this.log.error('Matter: could not remove old endpoints: %s', describeError(e)));
    }
  }

  private scheduleRescan(): void {
    this.rescanTimer = this.clock.setTimer(() => {
      void this.rescanGrants(false).finally(() => {
        if (!this.stopped) {
          this.scheduleRescan();
        }
      });
    }, GRANT_RESCAN_MS);
  }

  /** Reads the token folder and gives each profile its grant. Never throws. */
  private async rescanGrants(atStart: boolean): Promise<void> {
    if (!this.store || this.stopped) {
      return;
    }
    try {
      const listed = await this.store.list();
      const config = this.config!;
      const match = matchGrants(config.profiles, listed);
      const unlinked: string[] = [];
      for (const [profile, record] of match.byProfile) {
        const controller = this.controllers.get(profileKey(profile))!;
        const knownUser = controller.accessories.linkedUserid;
        const problem = record ? undefined : listed.problems.find((p) => p.userid === knownUser);
        controller.setGrant(record, problem?.error);
        if (!record && !problem) {
          unlinked.push(profile);
        }
      }
      for (const p of listed.problems) {
        this.reportOnce(`problem:${p.file}:${p.error}`, () => this.log.error('%s; re-link the profile it belonged to in the plugin settings.', p.error));
      }
      for (const r of match.unused) {
        this.reportOnce(`unused:${r.userid}:${r.profile}`, () => this.log.info('The link of Withings user %s is for profile "%s", which is not in "profiles"; it is not used.', r.userid, r.profile));
      }
      for (const r of match.superseded) {
        this.reportOnce(`superseded:${r.userid}`, () => this.log.warn('Withings user %s is also linked to profile "%s"; the newer link is used. Unlink the other one in the plugin settings.', r.userid, r.profile));
      }
      if (atStart && unlinked.length > 0) {
        this.log.info(linkHint(unlinked, config.profiles.length));
      }
    } catch (e) {
      this.log.error('Could not read the Withings links in %s: %s', this.store.dir, describeError(e));
    }
  }

  /** Writes the status file the settings UI reads (coalesced: one write at a time). */
  private statusChanged(): void {
    if (this.statusWriting) {
      this.statusDirty = true;
      return;
    }
    this.statusWriting = true;
    const profiles: PluginStatusFile['profiles'] = {};
    for (const c of this.controllers.values()) {
      profiles[c.name] = c.status;
    }
    writeStatusFile(this.store!.dir, { updated_at: Math.floor(this.clock.now() / 1000), profiles })
      .catch((e) => this.log.debug('Could not write the status file: %s', describeError(e)))
      .finally(() => {
        this.statusWriting = false;
        if (this.statusDirty && !this.stopped) {
          this.statusDirty = false;
          this.statusChanged();
        }
      });
  }

  private reportOnce(key: string, report: () => void): void {
    if (!this.reportedProblems.has(key)) {
      this.reportedProblems.add(key);
      report();
    }
  }

  private stop(): void {
    this.stopped = true;
    this.rescanTimer?.cancel();
    this.watcher?.close();
    for (const c of this.controllers.values()) {
      c.stop();
    }
    this.abort.abort();
  }
}

/** The start-up line that tells the user what to do about profiles not linked yet. */
export function linkHint(unlinked: readonly string[], profileCount: number): string {
  const names = unlinked.map((p) => `"${p}"`).join(', ');
  const where = 'open the Homebridge UI → Plugins → Withings → Settings and press "Link" next to';
  if (unlinked.length === profileCount) {
    return `No profile is linked to Withings yet: ${where} ${unlinked.length > 1 ? `each profile (${names})` : names}.`;
  }
  return `${unlinked.length > 1 ? 'Profiles' : 'Profile'} ${names} ${unlinked.length > 1 ? 'are' : 'is'} not linked to Withings yet: ${where} ${unlinked.length > 1 ? 'each of them' : names}.`;
}
