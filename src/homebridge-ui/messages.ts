/**
 * Failures of the link flow as one sentence the user can act on. Never includes a token, a code
 * or the secret (every text also goes through the redactor).
 */
import { isWithingsError } from '../withings/errors.js';
import { redact } from '../withings/redact.js';

/** A failure shown to the user as is. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(message: string) {
    super(redact(message));
  }
}

/** Why a code exchange failed, in plain words (docs/withings-api.md#token-exchange, #callback-urls). */
export function exchangeFailureMessage(e: unknown, redirectUri: string): string {
  if (!isWithingsError(e)) {
    return 'The link failed unexpectedly; press Link again. The Homebridge UI log has the details.';
  }
  const text = e.message.toLowerCase();
  if (/token reply (is missing|has an invalid)/.test(text)) {
    return 'Withings answered the link with an unusable reply (no valid user id or tokens). Press Link again; if it keeps failing, the Homebridge UI log has the details.';
  }
  if (e.kind === 'transient') {
    return `Could not reach Withings (${e.message.replace(/^Withings \S+ \S+ /, '')}). Check the Homebridge server's internet connection and press Link again.`;
  }
  if (e.kind === 'rate-limited') {
    return `Withings asked to wait ${e.retryAfterSeconds ?? 10} seconds (too many attempts). Wait, then press Link again.`;
  }
  if (/redirect/.test(text)) {
    return `Withings refused the callback URL: register exactly ${redirectUri} as a callback URL of your Withings app, then press Link again.`;
  }
  if (/secret|signature/.test(text)) {
    return 'Withings refused the Client Secret: copy it again from your app at developer.withings.com, save, then press Link again.';
  }
  if (/client_?id|invalid client|unknown client/.test(text)) {
    return 'Withings refused the Client ID: copy it again from your app at developer.withings.com, save, then press Link again.';
  }
  return 'Withings refused the code: it expired (codes are valid for 30 seconds) or was already used. Press Link again and finish within 30 seconds.';
}
