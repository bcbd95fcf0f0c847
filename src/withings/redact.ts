/**
 * Keeps secrets out of every message this module produces. Tokens, codes and the client secret are
 * registered as they become known; long opaque strings and Authorization headers are masked even
 * when they were never registered, because Withings may echo them in error texts.
 */
const MIN_SECRET_LENGTH = 6;
const PATTERNS: readonly [RegExp, string][] = [
  [/(authorization\s*[:=]\s*)(bearer\s+)?[^\s,;"']+/gi, '$1[redacted]'],
  [/\bbearer\s+[^\s,;"']+/gi, 'Bearer [redacted]'],
  // key=value (query strings, form bodies) and "key": "value" (JSON), not prose such as "code: it expired".
  [/\b((?:access_token|refresh_token|client_secret|code|state|token)(?:=|"\s*:\s*"))[^\s&,;"']+/gi, '$1[redacted]'],
  // Withings tokens and codes are 40-hex strings; device ids are too but are not needed in messages.
  [/\b[0-9a-f]{32,}\b/gi, '[redacted]'],
];

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a value that must never be printed (tokens, codes, secrets). */
  add(...values: (string | undefined | null)[]): void {
    for (const v of values) {
      if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) {
        this.secrets.add(v);
      }
    }
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
