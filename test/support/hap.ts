/**
 * The real Homebridge API object (HAP-NodeJS included) from the `homebridge` devDependency, as a
 * plugin receives it, without starting a bridge. Characteristic warnings and HAP's name checks are
 * recorded so tests can assert that HAP never complains.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { API, Characteristic, Logging, PlatformAccessory, Service } from 'homebridge';

import type { AccessoryRegistry } from '../../src/accessories/profile-accessories.js';
import { REPO } from './homebridge.js';

// The package only exports its typings and enums; its classes are loaded from their files.
// (dist/api.js itself cannot load under Jest: its plugin manager resolves module paths at import.)
const load = async <T>(file: string): Promise<T> => await import(pathToFileURL(join(REPO, 'node_modules/homebridge/dist', file)).href) as T;
const { PlatformAccessory: PA } = await load<{ PlatformAccessory: (new (name: string, uuid: string, category?: number) => PlatformAccessory) & {
  serialize(a: PlatformAccessory): unknown; deserialize(json: unknown): PlatformAccessory;
} }>('platformAccessory.js');
const hap = (await import('@homebridge/hap-nodejs')).default as unknown as API['hap'];

export interface TestApi extends API {
  /** Every accessory registered and not unregistered, by UUID (what the bridge would publish). */
  readonly published: Map<string, PlatformAccessory>;
  /** Emits a lifecycle event (didFinishLaunching, shutdown) as Homebridge does. */
  fire(event: 'didFinishLaunching' | 'shutdown'): void;
}

/** Storage folders `createApi()` made itself: removed after the test file (tests clean up their temp folders). */
const madeHere: string[] = [];
afterAll(() => {
  for (const dir of madeHere.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The plugin-facing surface of Homebridge 2.1's HomebridgeAPI (same HAP-NodeJS, same
 * PlatformAccessory class), with a fresh storage folder. Registrations are kept in `published`.
 */
export function createApi(storagePath = tempStorage()): TestApi {
  // Homebridge's User class can be pointed at one folder per process; tests need one per test.
  const user = {
    storagePath: () => storagePath,
    configPath: () => join(storagePath, 'config.json'),
    persistPath: () => join(storagePath, 'persist'),
    cachedAccessoryPath: () => join(storagePath, 'accessories'),
    matterPath: () => join(storagePath, 'matter'),
  };
  const emitter = new EventEmitter();
  const published = new Map<string, PlatformAccessory>();
  const api = Object.assign(emitter, {
    version: 2.7,
    serverVersion: '2.1.0',
    user,
    hap,
    hapLegacyTypes: {},
    platformAccessory: PA,
    published,
    versionGreaterOrEqual: () => true,
    isMatterAvailable: () => false,
    isMatterEnabled: () => false,
    registerPlatform: () => undefined,
    registerAccessory: () => undefined,
    registerPlatformAccessories: (plugin: string, platform: string, list: PlatformAccessory[]) => list.forEach((a) => {
      Object.assign(a, { _associatedPlugin: plugin, _associatedPlatform: platform });
      published.set(a.UUID, a);
    }),
    updatePlatformAccessories: () => undefined,
    unregisterPlatformAccessories: (_plugin: string, _platform: string, list: PlatformAccessory[]) => list.forEach((a) => published.delete(a.UUID)),
    publishExternalAccessories: () => undefined,
    fire: (event: string) => emitter.emit(event),
  });
  return api as unknown as TestApi;
}

function tempStorage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hb-storage-'));
  madeHere.push(dir);
  return dir;
}

/** What Homebridge would write to and read back from its accessory cache. */
export function roundTrip(accessory: PlatformAccessory): PlatformAccessory {
  return PA.deserialize(JSON.parse(JSON.stringify(PA.serialize(accessory))));
}

export interface RecordingRegistry extends AccessoryRegistry {
  readonly registered: Map<string, PlatformAccessory>;
  readonly ops: string[];
}

export function recordingRegistry(api: API): RecordingRegistry {
  const registered = new Map<string, PlatformAccessory>();
  const ops: string[] = [];
  return {
    registered,
    ops,
    create: (name, uuid) => new api.platformAccessory(name, uuid, api.hap.Categories.SENSOR),
    register: (list) => list.forEach((a) => {
      // What api.registerPlatformAccessories records (needed to serialise into the cache).
      Object.assign(a, { _associatedPlugin: 'homebridge-withings', _associatedPlatform: 'Withings' });
      registered.set(a.UUID, a);
      ops.push(`register ${a.displayName}`);
    }),
    save: (list) => list.forEach((a) => ops.push(`save ${a.displayName}`)),
    unregister: (list) => list.forEach((a) => {
      registered.delete(a.UUID);
      ops.push(`unregister ${a.displayName}`);
    }),
  };
}

/** Collects HAP-NodeJS warnings: characteristic warnings and `console.warn` name checks. */
export function watchWarnings(): { warnings: string[]; watch(accessories: PlatformAccessory[]): void; stop(): void } {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  const watched = new WeakSet<Characteristic>();
  return {
    warnings,
    watch(accessories) {
      for (const a of accessories) {
        for (const s of a.services) {
          for (const c of s.characteristics) {
            if (!watched.has(c)) {
              watched.add(c);
              c.on('characteristic-warning', (type, message) => warnings.push(`${a.displayName}/${c.displayName}: ${type} ${message}`));
            }
          }
        }
      }
    },
    stop() {
      console.warn = original;
    },
  };
}

/** A Homebridge-like logger that records lines by level. */
export function recordingLog(): Logging & { lines: { level: string; text: string }[] } {
  const lines: { level: string; text: string }[] = [];
  const at = (level: string) => (message: string, ...args: unknown[]) => {
    lines.push({ level, text: [message, ...args].map(String).join(' ') });
  };
  const log = Object.assign(at('info'), {
    prefix: 'Withings', lines,
    info: at('info'), success: at('success'), warn: at('warn'), error: at('error'), debug: at('debug'), log: at('log'),
  });
  return log as unknown as Logging & { lines: { level: string; text: string }[] };
}

/** `service.getCharacteristic(name)` value by characteristic display name or class. */
export function valueOf(service: Service | undefined, characteristic: string): unknown {
  return service?.characteristics.find((c) => c.displayName === characteristic || c.UUID === characteristic)?.value;
}
