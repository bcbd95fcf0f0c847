/**
 * The only code that reaches the network. Form-encoded POSTs with axios, a 10 s timeout, the
 * `{status, body, error}` envelope checked on every reply, failures turned into WithingsError.
 */
import axios, { type AxiosInstance } from 'axios';

import { type CallKind, classifyStatus, WithingsError } from './errors.js';

export const DEFAULT_API_BASE = 'https://wbsapi.withings.net';
export const DEFAULT_AUTH_BASE = 'https://account.withings.com';
export const REQUEST_TIMEOUT_MS = 10_000;

export interface Endpoints {
  /** Data and token calls (`/measure`, `/v2/sleep`, `/v2/oauth2`, …). */
  readonly apiBase: string;
  /** The consent page users are sent to. */
  readonly authBase: string;
}

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** `WITHINGS_API_BASE` / `WITHINGS_AUTH_BASE` point the plugin at a simulator (tests, the demo). */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints {
  return {
    apiBase: trimSlash(env.WITHINGS_API_BASE?.trim() || DEFAULT_API_BASE),
    authBase: trimSlash(env.WITHINGS_AUTH_BASE?.trim() || DEFAULT_AUTH_BASE),
  };
}

/** Called after every request with what it cost; used by the bench and debug logging. */
export type RequestObserver = (info: { path: string; action: string; ms: number; bytes: number; outcome: string }) => void;

export interface HttpOptions {
  endpoints?: Endpoints;
  timeoutMs?: number;
  observer?: RequestObserver;
  /** Aborts every in-flight request when Homebridge shuts down. */
  signal?: AbortSignal;
}

export type Params = Record<string, string | number | undefined>;

const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'ECANCELED', 'ERR_CANCELED',
]);

export class WithingsHttp {
  readonly endpoints: Endpoints;
  private readonly axios: AxiosInstance;
  private readonly observer?: RequestObserver;
  private readonly signal?: AbortSignal;

  constructor(options: HttpOptions = {}) {
    this.endpoints = options.endpoints ?? endpointsFromEnv();
    this.observer = options.observer;
    this.signal = options.signal;
    this.axios = axios.create({
      baseURL: this.endpoints.apiBase,
      timeout: options.timeoutMs ?? REQUEST_TIMEOUT_MS,
      // The body is parsed here, so that a reply that is not JSON is a typed failure, not a crash.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    });
  }

  /**
   * POSTs `params` (form-encoded) to `path` and returns the reply's `body` when `status` is 0.
   * `call` selects how a failing status is classified (a 503 means different things on the token endpoint).
   */
  async post<T>(path: string, params: Params, options: { token?: string; call?: CallKind } = {}): Promise<T> {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined) {
        form.append(k, String(v));
      }
    }
    const action = String(params.action ?? '');
    const started = Date.now();
    let outcome = 'ok';
    let bytes = 0;
    try {
      const reply = await this.send(path, form, action, options.token);
      bytes = reply.bytes;
      return this.unwrap<T>(reply, path, action, options.call ?? 'data');
    } catch (e) {
      outcome = e instanceof WithingsError ? `${e.kind}${e.status !== undefined ? ` ${e.status}` : ''}` : 'error';
      throw e;
    } finally {
      this.observer?.({ path, action, ms: Date.now() - started, bytes, outcome });
    }
  }

  private async send(path: string, form: URLSearchParams, action: string, token?: string): Promise<{ httpStatus: number; text: string; bytes: number }> {
    try {
      const res = await this.axios.post<string>(path, form.toString(), {
        headers: token ? { Authorization: `Bearer ${token}` } : undefined,
        signal: this.signal,
      });
      const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
      return { httpStatus: res.status, text, bytes: Buffer.byteLength(text) };
    } catch (e) {
      // Never wrap the axios error itself: its config carries the Authorization header.
      const code = (e as { code?: string }).code ?? '';
      const what = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : `failed (${code || 'network error'})`;
      if (code === '' || TRANSIENT_NET_CODES.has(code) || axios.isAxiosError(e)) {
        throw new WithingsError('transient', `Withings ${describe(path, action)} ${what}`);
      }
      throw new WithingsError('transient', `Withings ${describe(path, action)} failed: ${(e as Error).message ?? 'unknown error'}`);
    }
  }

  private unwrap<T>(reply: { httpStatus: number; text: string }, path: string, action: string, call: CallKind): T {
    const where = describe(path, action);
    const { httpStatus, text } = reply;
    if (httpStatus === 429) {
      throw new WithingsError('rate-limited', `Withings ${where}: HTTP 429 too many requests`, undefined, 60);
    }
    if (httpStatus >= 500 || httpStatus === 522) {
      throw new WithingsError('transient', `Withings ${where}: HTTP ${httpStatus}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WithingsError('transient', `Withings ${where}: the reply was not JSON (HTTP ${httpStatus}, ${text.length} bytes)`);
    }
    if (typeof json !== 'object' || json === null || typeof (json as { status?: unknown }).status !== 'number') {
      throw new WithingsError(httpStatus >= 400 ? 'bad-request' : 'transient', `Withings ${where}: unexpected reply (HTTP ${httpStatus}, no status)`);
    }
    const envelope = json as { status: number; body?: unknown; error?: unknown };
    if (envelope.status === 0) {
      if (httpStatus >= 400) {
        throw new WithingsError('transient', `Withings ${where}: HTTP ${httpStatus}`);
      }
      return (envelope.body ?? {}) as T;
    }
    const kind = classifyStatus(envelope.status, call);
    const error = typeof envelope.error === 'string' ? envelope.error.replace(/XRequestID:\s*\S+\s*/i, '').trim() : '';
    const wait = (envelope.body as { wait_seconds?: unknown } | undefined)?.wait_seconds;
    const retryAfter = kind === 'rate-limited' ? (typeof wait === 'number' && wait > 0 ? wait : 60) : undefined;
    throw new WithingsError(kind, `Withings ${where}: status ${envelope.status}${error ? ` (${error})` : ''}`, envelope.status, retryAfter);
  }
}

function describe(path: string, action: string): string {
  return action ? `${path} ${action}` : path;
}
