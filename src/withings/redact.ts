/**
 * Keeps secrets out of every message this module produces. Tokens, codes and the client secret are
 * registered as they become known; long opaque strings and Authorization headers are masked even
 * when they were never registered, because Withings may echo them in error texts.
 */
const MIN_SECRET_LENGTH = 6;
/**
 * Secrets remembered, newest kept: two tokens per refresh would otherwise grow the set for as long
 * as Homebridge runs. Old tokens are dead within hours, and 40-hex strings are masked by pattern.
 */
export const MAX_SECRETS = 256;
const PATTERNS: readonly [RegExp, string][] = [
  [/(authorization\s*[:=]\s*)(bearer\s+)?[^\s,;"'()<>{}]+/gi, '$1[redacted]'],
  [/\bbearer\s+[^\s,;"'()<>{}]+/gi, 'Bearer [redacted]'],
  // key=value (query strings, form bodies) and "key": "value" (JSON), not prose such as "code: it expired".
  [/\b((?:access_token|refresh_token|client_secret|code|state|token)(?:=|"\s*:\s*"))[^\s&,;"'()<>{}]+/gi, '$1[redacted]'],
  // Names that only ever precede a secret: also `access_token: value`, `'refresh_token': 'value'`, YAML, logs.
  [/\b((?:access_token|refresh_token|client_secret)['"]?\s*[:=]\s*['"]?)(?!\[redacted\])[^\s&,;"'()<>{}]+/gi, '$1[redacted]'],
  // Withings tokens and codes are 40-hex strings; device ids are too but are not needed in messages.
  [/\b[0-9a-f]{32,}\b/gi, '[redacted]'],
];

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a value that must never be printed (tokens, codes, secrets); the oldest go past MAX_SECRETS. */
  add(...values: (string | undefined | null)[]): void {
    for (const v of values) {
      if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) {
        this.secrets.delete(v); // re-adding makes it the newest
        this.secrets.add(v);
        if (this.secrets.size > MAX_SECRETS) {
          this.secrets.delete(this.secrets.values().next().value as string);
        }
      }
    }
  }

  /** How many secrets are remembered (bounded by MAX_SECRETS). */
  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      out = out.split(secret).join('[redacted]');
    }
    for (const [re, replacement] of PATTERNS) {
      out = out.replace(re, replacement);
    }
    return out;
  }
}

/** One redactor per process is enough: secrets are only ever added, never needed back. */
export const redactor = new Redactor();
export const redact = (text: string): string => redactor.redact(text);
