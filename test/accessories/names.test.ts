import { composeName, isValidHomeKitName, profileDisplayName, sanitizeName } from '../../src/accessories/names.js';
import { METRICS, READING_KINDS } from '../../src/metrics/catalog.js';

describe('HomeKit names', () => {
  test.each([
    ['Chloé 👶', 'Chloé'],
    ["Chris'", 'Chris'],
    ['  Anna-Lena  ', 'Anna-Lena'],
    ['Zoë', 'Zoë'],
    ['Cho\u0065\u0301', 'Choé'], // decomposed é is composed
    ['Bob & Alice', 'Bob & Alice'],
    ['<script>', 'script'],
    ['María José', 'María José'],
    ['王小明', '王小明'],
    ['R2-D2', 'R2-D2'],
    ['Dad (home)', 'Dad (home'],
  ])('%j → %j', (raw, expected) => {
    const name = sanitizeName(raw, 'fallback');
    expect(name).toBe(expected);
    expect(isValidHomeKitName(name)).toBe(true);
  });

  test('nothing usable: the fallback', () => {
    expect(profileDisplayName('👶👶', 1)).toBe('Withings 2');
    expect(profileDisplayName('!', 0)).toBe('Withings 1');
  });

  test('service names are "<Profile> <Label>", at most 64 characters, always valid', () => {
    expect(composeName('Chloé', 'Weight')).toBe('Chloé Weight');
    const long = composeName('A'.repeat(80), 'Max Breathing Asleep');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long.endsWith(' Max Breathing Asleep')).toBe(true);
    expect(isValidHomeKitName(long)).toBe(true);
  });
});

describe('labels on truncated tiles', () => {
  // The Home app and Config UI X cut tile names after about 14 characters ("Alice Sleep He…" was
  // three different sensors): labels must differ within their first 9 characters, so that
  // "Alice " plus what fits stays distinguishable. Keys and UUIDs never change with a label.
  test('every label differs from the others in its first 9 characters', () => {
    const labels = [...METRICS.map((m) => m.label), ...READING_KINDS.map((r) => r.label)];
    const heads = labels.map((l) => l.slice(0, 9).toLowerCase());
    const clashes = labels.filter((_, i) => heads.indexOf(heads[i]!) !== i);
    expect(clashes).toEqual([]);
  });
});
