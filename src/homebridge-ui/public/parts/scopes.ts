/** Withings permissions in words (docs/withings-api.md#scopes). */
const WORDS: Record<string, string> = {
  'user.metrics': 'measurements (weight, body composition, blood pressure, pulse, SpO2, temperatures)',
  'user.activity': 'sleep and activity',
  'user.info': 'account details (devices, goals)',
  'user.sleepevents': 'in/out of bed notifications',
};

export function scopeWords(scope: string): string {
  return WORDS[scope] ?? scope;
}

/** The granted scopes (comma-separated, as Withings sends them), in words and in a stable order. */
export function grantedWords(scopes: string): string[] {
  const granted = new Set(scopes.split(/[,\s]+/).filter(Boolean));
  const known = Object.keys(WORDS).filter((s) => granted.has(s));
  return [...known, ...[...granted].filter((s) => !(s in WORDS))].map(scopeWords);
}
