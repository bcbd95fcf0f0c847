/**
 * HomeKit naming rules (docs/homebridge.md#naming, HAP-NodeJS `checkName`): a name starts and ends
 * with a letter or digit, uses only letters, digits, spaces and `' ’ & ! . _ : ; ( ) / , -` in
 * between, and is at most 64 characters. Profile names are typed by users ("Chloé 👶", "Chris'"),
 * so every name shown to HomeKit goes through here.
 */
export const MAX_NAME_LENGTH = 64;

const VALID = /^[\p{L}\p{N}][\p{L}\p{N}\p{Zs}\u2019'&!._:;()/,-]*[\p{L}\p{N}]$/u;
const DISALLOWED = /[^\p{L}\p{N}\p{Zs}\u2019'&!._:;()/,-]+/gu;
const EDGE_START = /^[^\p{L}\p{N}]+/u;
const EDGE_END = /[^\p{L}\p{N}]+$/u;

export function isValidHomeKitName(name: string): boolean {
  return name.length >= 2 && name.length <= MAX_NAME_LENGTH && VALID.test(name);
}

/**
 * A HomeKit-safe version of `raw`: composed Unicode, disallowed characters replaced by spaces,
 * spaces collapsed, non-alphanumeric edges trimmed, cut to `maxLength`. Returns `fallback` when
 * nothing usable remains.
 */
export function sanitizeName(raw: string, fallback: string, maxLength = MAX_NAME_LENGTH): string {
  let name = raw.normalize('NFC').replace(DISALLOWED, ' ').replace(/\p{Zs}+/gu, ' ');
  name = name.replace(EDGE_START, '').replace(EDGE_END, '');
  if (name.length > maxLength) {
    name = [...name].slice(0, maxLength).join('').replace(EDGE_END, '');
  }
  return isValidHomeKitName(name) ? name : fallback;
}

/** "<Profile> <Label>", with the profile part shortened so the whole fits in 64 characters. */
export function composeName(profileName: string, label: string): string {
  const room = MAX_NAME_LENGTH - label.length - 1;
  const profile = sanitizeName(profileName, '', room);
  return profile ? `${profile} ${label}` : label;
}

/** The display name of a profile, with "Withings <n>" when the name has nothing HomeKit accepts. */
export function profileDisplayName(profile: string, index: number): string {
  return sanitizeName(profile, `Withings ${index + 1}`, 40);
}
