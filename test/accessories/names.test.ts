import { composeName, isValidHomeKitName, profileDisplayName, sanitizeName } from '../../src/accessories/names.js';

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
    const long = composeName('A'.repeat(80), 'Sleep Breathing Rate Max');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long.endsWith(' Sleep Breathing Rate Max')).toBe(true);
    expect(isValidHomeKitName(long)).toBe(true);
  });
});
