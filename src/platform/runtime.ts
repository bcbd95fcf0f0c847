/**
 * The running plugin for a valid config: one profile unit per configured profile, the token
 * folder watched for links made in the settings UI, and the status file that UI reads.
 */
import { join } from 'node:path';

import type { API, MatterAccessory, PlatformAccessory } from 'homebridge';

import { DeviceAccessories, isDeviceContext } from '../accessories/device-accessories.js';
import { unwantedEndpoints } from '../accessories/features/matter.js';
import { isGroupContext } from '../accessories/group-accessory.js';
import type { AccessoryRegistry } from '../accessories/profile-accessories.js';
import type { ProfileController } from '../profile/controller.js';
import type { WithingsDevice } from '../metrics/data.js';
import { createProfile } from '../profile/profile.js';
import { NotifyHub } from '../notify/hub.js';
import { PLATFORM_NAME, PLUGIN_NAME, PLUGIN_VERSION, TOKEN_DIR_NAME } from '../settings.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';
import { WithingsHttp } from '../withings/http.js';
import { RequestLimiter } from '../withings/limiter.js';
import { type ListedGrants, TokenStore } from '../withings/token-store.js';
import type { WithingsConfig } from './config.js';
import { matchGrants, profileKey } from './grants.js';
import { StatusWriter } from './status-writer.js';

/** How often the token folder is re-read even without a file-system event (network shares, Docker). */
export const GRANT_RESCAN_MS = 30_000;

export class PlatformRuntime {
  private readonly store: TokenStore;
  private readonly profiles = new Map<string, ProfileController>();
  private readonly abort = new AbortController();
  private readonly status: StatusWriter;
  private readonly reported = new Set<string>();
  private readonly matter?: NonNullable<API['matter']>;
  /** Notifications, when configured. */
  readonly notify?: NotifyHub;
  /** The Withings devices of every linked account, one accessory each (fed by the profiles' getdevice). */
  readonly devices: DeviceAccessories;
  private watcher?: { close(): void };
  private rescanTimer?: TimerHandle;
  /** Withings user id → the configured profile its token file names (renames are followed). */
  private linkOwners = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly config: WithingsConfig,
    private readonly api: API,
    private readonly log: PluginLog,
    private readonly clock: Clock,
  ) {
    this.store = new TokenStore(join(api.user.storagePath(), TOKEN_DIR_NAME));
    this.status = new StatusWriter(this.store.dir, clock, log, () => [...this.profiles.values()].map((p) => ({
      name: p.name,
      status: { ...p.status, notifications: this.notify?.statusOf(p) ?? { state: 'off' as const } },
    })));
    this.matter = this.matterApi();
    const registry = this.registry();
    this.devices = new DeviceAccessories(api.hap, registry, log);
    const http = new WithingsHttp({ signal: this.abort.signal });
    const limiter = new RequestLimiter(clock);
    if (config.notifications) {
      this.notify = new NotifyHub(config.notifications, {
        log, clock, http, limiter, signal: this.abort.signal, dir: this.store.dir, metrics: config.metrics,
        onStatus: () => this.status.changed(),
      }, () => this.profiles.values());
    }
    const env = {
      hap: api.hap,
      registry,
      log,
      clock,
      store: this.store,
      http,
      limiter,
      signal: this.abort.signal,
      client: { clientId: config.clientId, clientSecret: config.clientSecret },
      metrics: config.metrics,
      intervalMs: config.updateIntervalSeconds * 1000,
      readingEvents: config.readingEvents,
      alerts: config.alerts,
      matter: this.matter,
      version: PLUGIN_VERSION,
      onStatus: () => this.status.changed(),
      onLinked: (profile: ProfileController) => this.notify?.linked(profile),
      onDevices: (userid: string, devices: readonly WithingsDevice[], ownerName: string) => this.devices.update(userid, devices, ownerName),
    };
    config.profiles.forEach((name, index) => {
      this.profiles.set(profileKey(name), createProfile(name, index, config.profiles.length, env));
    });
  }

  /** The Matter API when the user asked for Matter and this bridge serves it; never touched otherwise. */
  private matterApi(): NonNullable<API['matter']> | undefined {
    if (!this.config.matter) {
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

  async start(cached: readonly PlatformAccessory[], cachedMatter: readonly MatterAccessory[]): Promise<void> {
    // Cached accessories: restored into their profile (last values shown at once) or removed. The
    // token files say which profile shows which Withings user now, so a profile renamed in the
    // settings (its link moved to the new name) keeps its accessories, rooms and automations.
    // One read of the token folder serves both the cache restore and the first grants.
    const listed = await this.store.list().catch(() => undefined);
    this.linkOwners = listed ? this.linkOwnersOf(listed) : new Map();
    const stale: PlatformAccessory[] = [];
    for (const accessory of cached) {
      const ctx = accessory.context;
      if (isDeviceContext(ctx)) {
        this.devices.adopt(accessory);
        continue;
      }
      const profile = isGroupContext(ctx) ? this.profileOf(ctx) : undefined;
      if (!profile || !this.adopted(profile, accessory)) {
        stale.push(accessory);
      }
    }
    this.devices.showAll(); // once all cached devices are back: their names depend on each other
    if (stale.length > 0) {
      this.api.unregisterPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, stale);
      this.log.info('Removed %d accessor%s of profiles no longer configured.', stale.length, stale.length === 1 ? 'y' : 'ies');
    }

    await this.rescanGrants(true, listed);
    if (this.stopped) {
      return;
    }
    await this.notify?.start();
    if (this.stopped) {
      return;
    }
    this.status.changed(); // what this run knows, once, even if no profile changes state
    this.retireMatter(cachedMatter);
    this.watcher = this.store.watch(() => void this.rescanGrants(false));
    this.scheduleRescan();
  }

  /** Restores one cached accessory; one that cannot be restored is rebuilt from the next sync. */
  private adopted(profile: ProfileController, accessory: PlatformAccessory): boolean {
    try {
      profile.adopt(accessory);
      return true;
    } catch (e) {
      this.log.warn('%s: a cached accessory (%s) could not be restored (%s); it is rebuilt at the next sync.', profile.name, accessory.displayName, describeError(e));
      return false;
    }
  }

  /** Profile of each linked user, from one listing of the token folder. */
  private linkOwnersOf(listed: ListedGrants): Map<string, string> {
    const owners = new Map<string, string>();
    for (const [profile, record] of matchGrants(this.config.profiles, listed).byProfile) {
      if (record) {
        owners.set(record.userid, profile);
      }
    }
    return owners;
  }


  /** The profile a cached HAP or Matter accessory belongs to, by its user's link, then its profile name. */
  private profileOf(ctx: { profile?: string; userid?: string }): ProfileController | undefined {
    const owner = ctx.userid ? this.linkOwners.get(ctx.userid) : undefined;
    return this.profiles.get(profileKey(owner ?? ctx.profile ?? ''));
  }

  private retireMatter(cachedMatter: readonly MatterAccessory[]): void {
    if (cachedMatter.length === 0) {
      return; // always the case on Homebridge 1.x and on bridges without Matter
    }
    const matter = this.api.matter;
    if (!matter) {
      return;
    }
    const selected = new Set(this.config.metrics.filter((m) => m.matter).map((m) => m.key));
    const stale = unwantedEndpoints(cachedMatter, this.matter !== undefined, selected, (ctx) => this.profileOf(ctx)?.accessories);
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
  private async rescanGrants(atStart: boolean, alreadyListed?: ListedGrants): Promise<void> {
    if (this.stopped) {
      return;
    }
    try {
      const listed = alreadyListed ?? await this.store.list();
      const match = matchGrants(this.config.profiles, listed);
      const unlinked: string[] = [];
      for (const [name, record] of match.byProfile) {
        const profile = this.profiles.get(profileKey(name));
        const knownUser = profile?.accessories.linkedUserid;
        const problem = record ? undefined : listed.problems.find((p) => p.userid === knownUser);
        profile?.setGrant(record, problem?.error);
        if (!record && !problem) {
          unlinked.push(name);
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
      // Devices of accounts no profile is linked to any more go (a broken link keeps them).
      const users = new Set([...match.byProfile.values()].flatMap((r) => (r ? [r.userid] : [])));
      listed.problems.forEach((p) => p.userid && users.add(p.userid));
      this.devices.keepUsers(users);
      if (atStart && unlinked.length > 0) {
        this.log.info(linkHint(unlinked, this.config.profiles.length));
      }
    } catch (e) {
      this.log.error('Could not read the Withings links in %s: %s', this.store.dir, describeError(e));
    }
  }

  private reportOnce(key: string, report: () => void): void {
    if (!this.reported.has(key)) {
      this.reported.add(key);
      report();
    }
  }

  stop(): void {
    this.stopped = true;
    this.status.stop();
    this.rescanTimer?.cancel();
    this.watcher?.close();
    for (const p of this.profiles.values()) {
      p.stop();
    }
    this.notify?.stop().catch((e: unknown) => this.log.debug('Notifications: could not close the listener: %s', describeError(e)));
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
