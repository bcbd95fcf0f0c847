/**
 * The public address Withings calls (`notifications.url`), checked against Withings' callback-URL
 * rules (docs/withings-api.md#callback-urls, `callbackProblems`), plus port 443 only (an https
 * address on port 80 cannot work): at most 255 characters once the secret is appended. A simulator (`WITHINGS_API_BASE` set) also
 * accepts http and loopback addresses. Pure.
 */
import { callbackProblems, type CallbackRule, MAX_CALLBACK_URL_LENGTH, type UrlCheck } from '../withings/callback-rules.js';

/** Length of the secret path segment (40 hex characters) plus its slash. */
export const SECRET_SEGMENT_LENGTH = 41;

/** The words for a Withings rule in the `notifications.url` error (the rules themselves: `callbackProblems`). */
const RULE_ERRORS: Record<CallbackRule, (url: URL) => string> = {
  'not-https': (u) => `must start with https:// (Withings calls only https addresses; got "${u.protocol}")`,
  'ip-address': () => 'must use a host name, not an IP address (Withings refuses IP addresses)',
  localhost: () => 'must be a public host name, not localhost (Withings refuses localhost)',
  'not-public': (u) => `must be a public host name ("${u.hostname}" is not reachable from the internet)`,
  'home-network': (u) => `must be a public host name ("${u.hostname}" is a name of the home network that Withings cannot reach)`,
  port: (u) => `must use port 443 (Withings allows only ports 80 and 443, and https is 443; got ${u.port})`,
  'too-long': () => `is too long: Withings accepts at most ${MAX_CALLBACK_URL_LENGTH} characters and the plugin appends ${SECRET_SEGMENT_LENGTH}`,
};

/** Checks `notifications.url`; the accepted form has no trailing slash, query or fragment. */
export function checkNotifyUrl(raw: unknown, options: { simulator: boolean }): UrlCheck {
  const key = '"notifications.url"';
  if (typeof raw !== 'string' || raw.trim() === '') {
    return { ok: false, error: `${key} is missing: enter the public https address at which Withings reaches this plugin, e.g. "https://homebridge.example.com/withings"` };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, error: `${key} is not a valid URL: "${raw}" (expected e.g. "https://homebridge.example.com/withings")` };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, error: `${key} must not contain a query string, a fragment or credentials` };
  }
  const clean = url.toString().replace(/\/+$/, '');
  if (!options.simulator) {
    const [problem] = callbackProblems(url, clean.length + SECRET_SEGMENT_LENGTH);
    if (problem) {
      return { ok: false, error: `${key} ${RULE_ERRORS[problem.rule](url)}` };
    }
    if (url.port === '80') {
      return { ok: false, error: `${key} ${RULE_ERRORS.port(url)}` };
    }
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, error: `${key} must start with https:// or http:// (got "${url.protocol}")` };
  } else if (clean.length + SECRET_SEGMENT_LENGTH > MAX_CALLBACK_URL_LENGTH) {
    return { ok: false, error: `${key} ${RULE_ERRORS['too-long'](url)}` };
  }
  return { ok: true, url: clean };
}

/** The callback URL registered at Withings: the public address plus the secret path segment. */
export const callbackUrlOf = (url: string, secret: string): string => `${url}/${secret}`;

/** A callback URL fit for logs and the settings page: the secret shortened to its first 4 characters. */
export function maskCallbackUrl(callbackUrl: string, secret: string): string {
  return callbackUrl.split(secret).join(`${secret.slice(0, 4)}…`);
}
