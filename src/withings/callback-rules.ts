/**
 * Withings' rules for a callback URL (docs/withings-api.md#callback-urls), the one copy both the
 * OAuth redirect check and the notifications URL check use: https, a public host name (no IP
 * address, no localhost, no home-network name), port 80 or 443, at most 255 characters. Pure.
 */
import { isIP } from 'node:net';

export const MAX_CALLBACK_URL_LENGTH = 255;

/** A checked address: the form to use, or what is wrong with it. */
export type UrlCheck = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly error: string };

export type CallbackRule = 'not-https' | 'ip-address' | 'localhost' | 'not-public' | 'home-network' | 'port' | 'too-long';

export interface CallbackProblem {
  readonly rule: CallbackRule;
  /** The problem in words, completing "Withings will not accept this address: …". */
  readonly text: string;
}

const HOME_NETWORK = /\.(local|lan|home|internal|home\.arpa)$/;

/** What Withings would refuse in `url`; `length` is the length of the full address it will see. */
export function callbackProblems(url: URL, length = url.toString().length): CallbackProblem[] {
  const problems: CallbackProblem[] = [];
  if (url.protocol !== 'https:') {
    problems.push({ rule: 'not-https', text: 'it does not start with https://' });
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    problems.push({ rule: 'ip-address', text: 'it contains an IP address' });
  } else if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain') {
    problems.push({ rule: 'localhost', text: 'it contains "localhost"' });
  } else if (!host.includes('.')) {
    problems.push({ rule: 'not-public', text: `"${host}" is not a public host name` });
  } else if (HOME_NETWORK.test(host)) {
    problems.push({ rule: 'home-network', text: `"${host}" is a name of the home network that Withings cannot reach` });
  }
  if (url.port && url.port !== '443' && url.port !== '80') {
    problems.push({ rule: 'port', text: `it uses port ${url.port} (Withings allows only 80 and 443)` });
  }
  if (length > MAX_CALLBACK_URL_LENGTH) {
    problems.push({ rule: 'too-long', text: `it is longer than ${MAX_CALLBACK_URL_LENGTH} characters` });
  }
  return problems;
}
