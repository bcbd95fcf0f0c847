/**
 * The small, typed set of failures the rest of the plugin acts on (docs/withings-api.md#status-codes).
 * Withings answers almost everything with HTTP 200 and a `status` in the JSON; the family of that
 * status decides what to do, never the HTTP code alone.
 */
import { redact } from './redact.js';

export type WithingsErrorKind =
  /** The access token is expired or revoked: refresh once and retry. */
  | 'auth-expired'
  /** The grant is gone (refresh refused, access revoked): stop and ask the user to link again. */
  | 'reauth-required'
  /** Too many requests (status 601 or HTTP 429): wait `retryAfterSeconds`, then retry. */
  | 'rate-limited'
  /** Network trouble, 5xx, 522, timeouts, resets, bodies that are not JSON: back off and retry later. */
  | 'transient'
  /** The request itself is wrong (invalid params, not implemented): retrying cannot help. */
  | 'bad-request';

export class WithingsError extends Error {
  override readonly name = 'WithingsError';

  constructor(
    readonly kind: WithingsErrorKind,
    message: string,
    /** The Withings `status`, when the reply had one. */
    readonly status?: number,
    /** How long Withings asked us to wait (601 `wait_seconds`), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(redact(message));
  }
}

export const isWithingsError = (e: unknown): e is WithingsError => e instanceof WithingsError;

const ranges = (spec: string): Set<number> => {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    for (let n = a; n <= (b ?? a); n++) {
      out.add(n);
    }
  }
  return out;
};

const AUTH_FAILED = ranges('100-102, 200, 401');
const UNAUTHORIZED = ranges('214, 277, 2553, 2555');
const INVALID_PARAMS = ranges(
  '201-213, 216-218, 220-221, 223, 225, 227-230, 234-236, 238, 240-252, 254, 260-267, 271-272, 275-276, '
  + '283-288, 290, 293-295, 297, 300-304, 321, 323-353, 380-382, 400, 501-511, 523, 532, 3017-3019',
);

/** Which service answered: the token endpoint's 503 means a dead grant, elsewhere a bad request. */
export type CallKind = 'data' | 'refresh' | 'exchange';

/** Maps a non-zero Withings `status` to the action family (docs/withings-api.md#status-codes). */
export function classifyStatus(status: number, call: CallKind): WithingsErrorKind {
  if (call === 'refresh' && (status === 503 || AUTH_FAILED.has(status) || UNAUTHORIZED.has(status))) {
    return 'reauth-required';
  }
  if (AUTH_FAILED.has(status)) {
    return call === 'data' ? 'auth-expired' : 'reauth-required';
  }
  if (UNAUTHORIZED.has(status)) {
    return 'reauth-required';
  }
  if (status === 601) {
    return 'rate-limited';
  }
  if (status === 2554 || INVALID_PARAMS.has(status)) {
    return 'bad-request';
  }
  // 522 timeout, 524 bad state, the "an error occurred" family, and anything unknown: retry later.
  return 'transient';
}
