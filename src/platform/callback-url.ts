/**
 * The OAuth redirect URI: which one the plugin sends (one rule, shared by config validation, the UI
 * server and, through it, the settings page) and whether Withings will accept it
 * (docs/withings-api.md#callback-urls). Pure: no Homebridge, no HTTP.
 */
import { CALLBACK_PATH } from '../settings.js';
import { callbackProblems, type UrlCheck } from '../withings/callback-rules.js';

export type { UrlCheck };

/**
 * The callback page the project hosts (GitHub Pages of the repository in package.json, built from
 * `docs/callback.html`). It passes the code back to the settings page that opened the Withings window.
 */
export const HOSTED_CALLBACK_URL = 'https://homebridge-withings.github.io/homebridge-withings/callback.html';


/** `callback_url`: an absolute http(s) address without a fragment, used exactly as written. */
export function checkCallbackUrl(value: string): UrlCheck {
  const parsed = parseHttpUrl(value, HOSTED_CALLBACK_URL);
  if (!parsed.ok) {
    return parsed;
  }
  const { url } = parsed;
  if (url.hash || value.includes('#')) {
    return { ok: false, error: 'must not contain a "#" fragment (Withings drops it)' };
  }
  if (url.username || url.password) {
    return { ok: false, error: 'must not contain a user name or password' };
  }
  // The exact text: Withings compares the registered URL character by character.
  return { ok: true, url: value.trim() };
}

/** `base_url`: the address of the Homebridge UI, without query or fragment; no trailing slash. */
export function checkBaseUrl(value: string): UrlCheck {
  const parsed = parseHttpUrl(value, 'https://homebridge.example.com');
  if (!parsed.ok) {
    return parsed;
  }
  const { url } = parsed;
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, error: 'must be just the address of the Homebridge UI, without "?", "#" or a password' };
  }
  return { ok: true, url: url.toString().replace(/\/+$/, '') };
}

/** An absolute http(s) address, or the error that completes '"<setting>" …'. */
function parseHttpUrl(value: string, example: string): { ok: true; url: URL } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, error: `is not a valid address: "${value}" (expected e.g. "${example}")` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, error: `must start with https:// (got "${url.protocol}")` };
  }
  return { ok: true, url };
}

export interface RedirectInputs {
  /** `callback_url` as the user wrote it (may be empty). */
  readonly callbackUrl?: unknown;
  /** `base_url` as the user wrote it (may be empty). */
  readonly baseUrl?: unknown;
  /** The origin the browser reaches the Homebridge UI at (the settings page's `location.origin`). */
  readonly origin?: unknown;
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/**
 * The redirect URI the plugin sends: `callback_url` exactly; else `<base_url or the UI's
 * address>/api/plugins/settings-ui/homebridge-withings/callback.html`. An error names the setting.
 */
export function redirectUriFor(inputs: RedirectInputs): UrlCheck {
  const callback = text(inputs.callbackUrl);
  if (callback) {
    const c = checkCallbackUrl(callback);
    return c.ok ? c : { ok: false, error: `"Callback URL" ${c.error}` };
  }
  const base = text(inputs.baseUrl);
  if (base) {
    const b = checkBaseUrl(base);
    return b.ok ? { ok: true, url: `${b.url}${CALLBACK_PATH}` } : { ok: false, error: `"Base URL" ${b.error}` };
  }
  const origin = text(inputs.origin);
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
    return { ok: false, error: 'The address of this Homebridge UI is unknown: enter "Callback URL" or "Base URL" in the settings' };
  }
  return { ok: true, url: `${origin}${CALLBACK_PATH}` };
}

/** Whether Withings will accept a callback URL, and if not, why, in words. */
export interface CallbackVerdict {
  readonly accepted: boolean;
  readonly problems: string[];
}

/** Withings' rules (one copy, `callbackProblems`): what it would refuse in this redirect URI, in words. */
export function callbackVerdict(uri: string): CallbackVerdict {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { accepted: false, problems: ['it is not a valid address'] };
  }
  const problems = callbackProblems(url, uri.length).map((p) => p.text);
  return { accepted: problems.length === 0, problems };
}
