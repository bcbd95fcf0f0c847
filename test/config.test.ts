import { METRIC_KEYS } from '../src/metrics/catalog.js';
import { parseConfig } from '../src/platform/config.js';
import { linkHint } from '../src/platform/platform.js';

const SEED = { platform: 'Withings', client_id: 'id', client_secret: 'secret', profiles: ['Alice'] };

describe('parseConfig', () => {
  test('the seed example is a complete, valid config with the documented defaults', () => {
    const r = parseConfig(SEED);
    expect(r.ok).toBe(true);
    if (!r.ok) {return;}
    expect(r.warnings).toEqual([]);
    expect(r.config.profiles).toEqual(['Alice']);
    expect(r.config.updateIntervalSeconds).toBe(300);
    // In Bed only exists with notifications.
    expect(r.config.metrics.map((m) => m.key)).toEqual(METRIC_KEYS.filter((k) => k !== 'in_bed'));
    expect(r.config.notifications).toBeUndefined();
    expect(r.config.readingEvents).toBe(true);
    expect(r.config.matter).toBe(false);
    expect(r.config.alerts).toEqual([]);
    expect(r.config.baseUrl).toBeUndefined();
  });

  test.each([
    [{ ...SEED, profiles: [] }, '"profiles" must list at least one profile name'],
    [{ ...SEED, profiles: undefined }, '"profiles" is missing'],
    [{ ...SEED, profiles: 'Alice' }, '"profiles" must list at least one profile name'],
    [{ ...SEED, profiles: ['Alice', ' alice '] }, '"profiles" lists "alice" twice'],
    [{ ...SEED, profiles: ['Alice', '  '] }, '"profiles" entry 2 must be a non-empty name'],
    [{ ...SEED, client_id: undefined }, '"client_id" is missing'],
    [{ ...SEED, client_id: '  ' }, '"client_id" is missing'],
    [{ ...SEED, client_secret: 42 }, '"client_secret" must be a string'],
    [{ ...SEED, update_interval: 5 }, '"update_interval" must be between 30 and 86400 seconds (got 5)'],
    [{ ...SEED, update_interval: 300.5 }, '"update_interval" must be a whole number of seconds'],
    [{ ...SEED, update_interval: '300' }, '"update_interval" must be a whole number of seconds'],
    [{ ...SEED, measurements: ['weight_kg', 'weight_lb'] }, '"measurements" contains unknown key "weight_lb"'],
    [{ ...SEED, measurements: [] }, '"measurements" is empty'],
    [{ ...SEED, base_url: 'not a url' }, '"base_url" is not a valid address'],
    [{ ...SEED, base_url: 'https://hb.example.com/?x=1' }, '"base_url" must be just the address of the Homebridge UI'],
    [{ ...SEED, callback_url: 'https://x.example/cb#top' }, '"callback_url" must not contain a "#" fragment'],
    [{ ...SEED, callback_url: 'callback.html' }, '"callback_url" is not a valid address'],
    [{ ...SEED, callback_url: 42 }, '"callback_url" must be an address'],
    [{ ...SEED, base_url: 'ftp://example.com' }, '"base_url" must start with https://'],
    [{ ...SEED, matter: 'yes' }, '"matter" must be true or false'],
  ])('refuses %j with an error naming the key', (raw, message) => {
    const r = parseConfig(raw);
    expect(r.ok).toBe(false);
    if (r.ok) {return;}
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(message);
  });

  test('never repeats the client secret in an error', () => {
    const r = parseConfig({ ...SEED, client_secret: 'super-secret-1234', profiles: [] });
    expect(JSON.stringify(r)).not.toContain('super-secret-1234');
  });

  test('unknown keys give one warning but the config is used', () => {
    const r = parseConfig({ ...SEED, foo: 1, bar: true, name: 'Withings', _bridge: {} });
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual(['unknown config keys "foo", "bar" ignored']);
  });

  test('profile names are trimmed; measurements keep catalog order; base_url loses its trailing slash', () => {
    const r = parseConfig({ ...SEED, profiles: [' Alice ', 'Bob'], measurements: ['spo2_pct', 'weight_kg', 'spo2_pct'], base_url: 'https://hb.example.com/' });
    expect(r.ok).toBe(true);
    if (!r.ok) {return;}
    expect(r.config.profiles).toEqual(['Alice', 'Bob']);
    expect(r.config.metrics.map((m) => m.key)).toEqual(['weight_kg', 'spo2_pct']);
    expect(r.config.baseUrl).toBe('https://hb.example.com');
  });

  test('callback_url is kept exactly as written (Withings compares it character by character)', () => {
    const r = parseConfig({ ...SEED, callback_url: ' https://homebridge-withings.github.io/homebridge-withings/callback.html ' });
    expect(r.ok && r.config.callbackUrl).toBe('https://homebridge-withings.github.io/homebridge-withings/callback.html');
    expect(parseConfig(SEED).ok && (parseConfig(SEED) as { config: { callbackUrl?: string } }).config.callbackUrl).toBeUndefined();
  });

  test('duplicate profile names (ignoring case) give one error, not a knock-on error about the alerts', () => {
    const r = parseConfig({ ...SEED, profiles: ['Alice', 'alice'], alerts: [{ profile: 'Alice', measurement: 'spo2_pct', below: 92 }] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['"profiles" lists "alice" twice: each profile name must be unique']);
  });

  test('every broken alert is reported, each naming its entry', () => {
    const r = parseConfig({ ...SEED, alerts: [{ profile: 'Alice', measurement: 'spo2', below: 1 }, { profile: 'Alice', measurement: 'spo2_pct', below: 92 }, { profile: 'Bob', measurement: 'spo2_pct', below: 92 }] });
    expect(!r.ok && r.errors.map((e) => e.slice(0, 18))).toEqual(['"alerts" entry 1: ', '"alerts" entry 3 (']);
  });

  describe('alerts', () => {
    const alert = (a: Record<string, unknown>) => parseConfig({ ...SEED, profiles: ['Alice', 'Bob'], alerts: [a] });

    test('a valid alert is parsed with its direction and a default name', () => {
      const r = alert({ profile: 'bob', measurement: 'spo2_pct', below: 92 });
      expect(r.ok).toBe(true);
      if (!r.ok) {return;}
      expect(r.config.alerts).toEqual([expect.objectContaining({ profile: 'Bob', direction: 'below', threshold: 92, name: 'SpO2 below 92' })]);
    });

    test.each([
      [{ profile: 'Carol', measurement: 'spo2_pct', below: 92 }, '"alerts" entry 1 ("spo2_pct"): "profile" is "Carol", which is not one of "profiles" ("Alice", "Bob")'],
      [{ profile: 'Alice', measurement: 'spo2', below: 92 }, '"alerts" entry 1: "measurement" is "spo2", which is not a measurement key'],
      [{ profile: 'Alice', measurement: 'sleep_state', below: 1 }, '"measurement" is "sleep_state", which has no number to compare'],
      [{ profile: 'Alice', measurement: 'spo2_pct' }, '"alerts" entry 1 ("spo2_pct") has no threshold: fill in "above" or "below" (in %)'],
      [{ profile: 'Alice', measurement: 'spo2_pct', above: 1, below: 2 }, 'fill in only one of "above" and "below", not both'],
      [{ profile: 'Alice', measurement: 'spo2_pct', below: '92' }, '"below" must be a number in % (got "92")'],
      // The typo is named as written (it used to say "measurement undefined is not a numeric measurement key").
      [{ profile: 'Alice', measurment: 'spo2_pct', below: 92 }, '"alerts" entry 1 has unknown key "measurment" (did you mean "measurement"?)'],
      [{ profile: 'Alice', below: 92 }, '"alerts" entry 1 has no "measurement"'],
      [{ measurement: 'spo2_pct', below: 92 }, '"alerts" entry 1 ("spo2_pct") has no "profile"'],
      // What Config UI X 5.10 saved from the broken two-card form.
      [{ name: 'Edited name', profile: 'Alice', measurement: 'spo2_pct' }, 'has no threshold'],
    ])('refuses %j', (a, message) => {
      const r = alert(a);
      expect(r.ok).toBe(false);
      if (r.ok) {return;}
      expect(r.errors).toEqual([expect.stringContaining(message)]);
    });
  });
});

describe('linkHint', () => {
  test('names every unlinked profile and where to link them', () => {
    expect(linkHint(['Alice'], 1)).toBe('No profile is linked to Withings yet: open the Homebridge UI → Plugins → Withings → Settings and press "Link" next to "Alice".');
    expect(linkHint(['Alice', 'Bob'], 2)).toContain('next to each profile ("Alice", "Bob")');
    expect(linkHint(['Bob'], 2)).toBe('Profile "Bob" is not linked to Withings yet: open the Homebridge UI → Plugins → Withings → Settings and press "Link" next to "Bob".');
  });
});

describe('notifications', () => {
  const URL_ = 'https://homebridge.example.com/withings';

  test('url required; port 8582 and all interfaces by default; in_bed then selected', () => {
    const r = parseConfig({ ...SEED, notifications: { url: `${URL_}/` } });
    expect(r.ok && r.config.notifications).toEqual({ url: URL_, port: 8582, host: undefined });
    expect(r.ok && r.config.metrics.some((m) => m.key === 'in_bed')).toBe(true);
    // The settings form may save the default port without an address: polling only, no error.
    for (const n of [{}, { port: 8582 }, { url: '', port: 8582 }]) {
      const off = parseConfig({ ...SEED, notifications: n });
      expect(off.ok && off.config.notifications).toBeUndefined();
      expect(off.ok && off.config.metrics.some((m) => m.key === 'in_bed')).toBe(false);
    }
  });

  test('what Withings refuses is one error naming the rule; a simulator accepts loopback http', () => {
    const r = parseConfig({ ...SEED, notifications: { url: 'http://127.0.0.1:8582/withings' } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['"notifications.url" must start with https:// (Withings calls only https addresses; got "http:")']);
    const sim = parseConfig({ ...SEED, notifications: { url: 'http://127.0.0.1:8582/withings', port: 18582, host: '127.0.0.1' } }, { simulator: true });
    expect(sim.ok && sim.config.notifications).toEqual({ url: 'http://127.0.0.1:8582/withings', port: 18582, host: '127.0.0.1' });
  });

  test('bad port and host, and in_bed alone without notifications', () => {
    expect(parseConfig({ ...SEED, notifications: { url: URL_, port: 70000 } }).ok).toBe(false);
    expect(parseConfig({ ...SEED, notifications: { url: URL_, host: 'a b' } }).ok).toBe(false);
    const only = parseConfig({ ...SEED, measurements: ['in_bed'] });
    expect(!only.ok && only.errors[0]).toMatch(/only "in_bed", which needs "notifications"/);
    const some = parseConfig({ ...SEED, measurements: ['in_bed', 'weight_kg'] });
    expect(some.ok && some.warnings).toEqual(['"in_bed" needs "notifications" (Withings reports getting into and out of bed only through them), so In Bed is not shown']);
  });
});
