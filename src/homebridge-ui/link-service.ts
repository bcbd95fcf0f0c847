/**
 * What the settings UI server does, without the IPC plumbing (so it can be tested in-process):
 * the state of each profile's link, starting an OAuth link (single-use, short-lived `state` bound to
 * the profile), exchanging the code server-side exactly once, the guards (another person, a user
 * already linked to another profile, missing scopes), and unlinking.
 *
 * The server only writes NEW grants; the plugin is the only party that refreshes them.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { METRICS, metricByKey, scopeFor, type MetricDefinition } from '../metrics/catalog.js';
import { CALLBACK_PATH, historyFileName, TOKEN_DIR_NAME } from '../settings.js';
import type {
  CallbackInfo,
  CallbackInputs,
  CompleteReply,
  CompleteRequest,
  ConfirmReply,
  ConfirmRequest,
  MoveReply,
  MoveRequest,
  ProfileNotifications,
  ProfileStatus,
  StartReply,
  StartRequest,
  StatusReply,
  StatusRequest,
  UnlinkReply,
  UnlinkRequest,
} from './contract.js';
import { type Clock, epochSeconds, systemClock } from '../util/clock.js';
import { isWithingsError } from '../withings/errors.js';
import { WithingsHttp } from '../withings/http.js';
import { buildAuthorizeUrl, exchangeCode, parseScopes, type TokenGrant } from '../withings/oauth.js';
import { redact, redactor } from '../withings/redact.js';
import { newTokenRecord, type TokenRecord, TokenStore } from '../withings/token-store.js';
import { parseSubscriptions } from '../withings/types.js';
import { isOurs } from '../notify/plan.js';
import type { NotificationStatusRecord } from '../notify/status.js';
import { exchangeFailureMessage, LinkError } from './messages.js';
import { matchGrants, profileKey } from '../platform/grants.js';
import { readStatusFile } from '../platform/status-file.js';
import { callbackVerdict, HOSTED_CALLBACK_URL, redirectUriFor } from '../platform/callback-url.js';
import { parseConfig } from '../platform/config.js';

/** A link attempt lives this long: the user signs in, maybe resets a password, comes back. */
export const STATE_TTL_MS = 15 * 60_000;
/** A grant waiting for the user to confirm a different person lives this long. */
export const CONFIRM_TTL_MS = 10 * 60_000;

interface PendingLink {
  readonly profile: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly createdAt: number;
  used: boolean;
}

interface PendingConfirm {
  readonly profile: string;
  readonly clientId: string;
  readonly grant: TokenGrant;
  readonly previousUserid: string;
  readonly createdAt: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

export interface LinkServiceOptions {
  readonly storagePath: string;
  readonly http?: WithingsHttp;
  readonly clock?: Clock;
}

export class LinkService {
  readonly store: TokenStore;
  private readonly http: WithingsHttp;
  private readonly clock: Clock;
  private readonly pending = new Map<string, PendingLink>();
  private readonly confirms = new Map<string, PendingConfirm>();

  constructor(options: LinkServiceOptions) {
    this.store = new TokenStore(join(options.storagePath, TOKEN_DIR_NAME));
    this.http = options.http ?? new WithingsHttp();
    this.clock = options.clock ?? systemClock;
  }

  /** Each profile's link, as the token store and the running plugin see it. Never returns a token. */
  async status(req: StatusRequest): Promise<StatusReply> {
    const names = Array.isArray(req.profiles) ? req.profiles.map(str).filter(Boolean) : [];
    const needed = neededScopes(req.measurements);
    const listed = await this.store.list();
    // What the plugin's files hold must not reach the page: teach the redactor this process's tokens.
    for (const r of listed.records) {
      redactor.add(r.access_token, r.refresh_token);
    }
    const runtime = await readStatusFile(this.store.dir);
    const match = matchGrants(names, listed); // the same matching as the running plugin
    const profiles = names.map((name): ProfileStatus => {
      const record = match.byProfile.get(name);
      const live = runtime?.profiles?.[name];
      if (!record) {
        return { name, state: 'unlinked', missingScopes: [] };
      }
      const granted = parseScopes(record.scope);
      const missingScopes = [...needed].filter((s) => !granted.has(s));
      const clientId = str(req.clientId);
      let reason: string | undefined;
      if (clientId && record.client_id && record.client_id !== clientId) {
        reason = 'it was linked with another Withings app (Client ID): link it again with this one';
      } else if (live?.state === 'needs-relink' && live.userid === record.userid && (live.since ?? 0) >= record.updated_at) {
        reason = redact(live.reason ?? 'Withings no longer accepts this link');
      }
      return {
        name, state: reason ? 'needs-relink' : 'linked', userid: record.userid, scope: record.scope, missingScopes, reason,
        linkedAt: record.linked_at || undefined, lastSync: live?.userid === record.userid ? live.last_sync : undefined,
        notifications: live?.userid === record.userid ? notificationsOf(live.notifications) : undefined,
      };
    });
    // An unreadable file belongs to the profile the running plugin last showed for that user.
    for (const p of listed.problems) {
      profiles.forEach((s, i) => {
        if (s.state === 'unlinked' && runtime?.profiles?.[s.name]?.userid === p.userid) {
          profiles[i] = { ...s, state: 'needs-relink', userid: p.userid, reason: redact(p.error) };
        }
      });
    }
    return {
      profiles,
      otherLinks: match.unused.map((r) => ({ userid: r.userid, profile: r.profile })),
      callbackPath: CALLBACK_PATH,
      callback: this.callbackInfo(req),
      configErrors: req.config === undefined ? [] : configErrors(req.config),
      authorizeHost: new URL(this.http.endpoints.authBase).host,
    };
  }

  /** The one callback URL to register (built here, as `start()` builds it) and Withings' verdict. */
  callbackInfo(inputs: CallbackInputs): CallbackInfo {
    const built = redirectUriFor(inputs);
    const withings = /(^|\.)withings\.(com|net)$/.test(new URL(this.http.endpoints.authBase).hostname);
    if (!built.ok) {
      return { error: built.error, problems: [], accepted: false, hosted: HOSTED_CALLBACK_URL, withings };
    }
    const verdict = callbackVerdict(built.url);
    return { url: built.url, problems: verdict.problems, accepted: verdict.accepted, hosted: HOSTED_CALLBACK_URL, withings };
  }

  /** Starts a link: a fresh single-use `state` bound to the profile, and the consent URL. */
  start(req: StartRequest): StartReply {
    const profile = str(req.profile);
    const clientId = str(req.clientId);
    const clientSecret = str(req.clientSecret);
    if (!profile) {
      throw new LinkError('Add the profile to "Profiles" first, then press Link next to it.');
    }
    if (!clientId || !clientSecret) {
      throw new LinkError('Enter the Client ID and Secret of your Withings app first (developer.withings.com → your app).');
    }
    // The redirect URI is the one built from the settings, never one the page made up.
    const built = redirectUriFor(req);
    if (!built.ok) {
      throw new LinkError(`${built.error}.`);
    }
    const redirectUri = built.url;
    this.prune();
    redactor.add(clientSecret);
    const state = randomBytes(24).toString('hex');
    this.pending.set(state, { profile, clientId, clientSecret, redirectUri, createdAt: this.clock.now(), used: false });
    return { url: buildAuthorizeUrl(this.http.endpoints.authBase, { clientId, redirectUri, state }), state, redirectUri };
  }

  /**
   * Finishes a link from the address Withings redirected to. The address must carry the `state` of
   * a waiting attempt (never taken from anywhere else); the code is exchanged at once and exactly once.
   */
  async complete(req: CompleteRequest): Promise<CompleteReply> {
    const expectedState = str(req.state);
    const { code, state, error } = parseRedirect(str(req.input));
    if (!state) {
      throw new LinkError(code || error
        ? 'This address has no "state=": paste the whole address of the page Withings sent you to, exactly as it is in the address bar.'
        : 'Paste the whole address of the page Withings sent you to (it contains "code=" and "state=").');
    }
    if (expectedState && expectedState !== state) {
      throw new LinkError('This address belongs to another link attempt (the state does not match): press Link again and paste the address of that window.');
    }
    const link = this.pending.get(state);
    if (!link || link.used || this.clock.now() - link.createdAt > STATE_TTL_MS) {
      throw new LinkError('This address belongs to a link attempt that expired, was already used or was started in another window: press Link again.');
    }
    if (error) {
      link.used = true;
      throw new LinkError(error === 'access_denied'
        ? 'Access was denied on the Withings page. Press Link again and choose Allow.'
        : `Withings returned an error (${error}). Press Link again.`);
    }
    if (!code) {
      throw new LinkError('No code found: paste the whole address of the page Withings sent you to (it contains "code="), even if that page did not load.');
    }
    link.used = true; // before the exchange: a code is never sent twice
    redactor.add(code);
    let grant: TokenGrant;
    try {
      grant = await exchangeCode(this.http, { clientId: link.clientId, clientSecret: link.clientSecret }, code, link.redirectUri, () => epochSeconds(this.clock));
    } catch (e) {
      throw new LinkError(exchangeFailureMessage(e, link.redirectUri));
    }
    return this.adopt(link.profile, link.clientId, grant);
  }

  /** The user's answer about linking a profile to a different person than before. */
  async confirm(req: ConfirmRequest): Promise<ConfirmReply> {
    const id = str(req.confirmId);
    const pending = this.confirms.get(id);
    this.confirms.delete(id);
    if (!pending || this.clock.now() - pending.createdAt > CONFIRM_TTL_MS) {
      throw new LinkError('This question expired: press Link again.');
    }
    if (req.accept !== true) {
      return { status: 'cancelled', profile: pending.profile };
    }
    await this.save(pending.profile, pending.clientId, pending.grant);
    // The previous person's file goes only if it still is this profile's (not re-linked meanwhile),
    // and the plugin's notification subscriptions for that person with it.
    const previous = (await this.store.list()).records.find((r) => r.userid === pending.previousUserid && profileKey(r.profile) === profileKey(pending.profile));
    if (previous) {
      await this.revokeSubscriptions(previous);
    }
    await this.store.update(pending.previousUserid, (current) => (current && profileKey(current.profile) === profileKey(pending.profile) ? null : undefined));
    if (!(await this.store.list()).records.some((r) => r.userid === pending.previousUserid)) {
      await this.removeHistory(pending.previousUserid); // that person is no longer linked: their chart history goes too
    }
    return this.linked(pending.profile, pending.grant);
  }

  /**
   * Gives an existing link to another profile name, e.g. after a profile was renamed in the
   * settings. The Withings user stays the same, so the plugin keeps its accessories.
   */
  async move(req: MoveRequest): Promise<MoveReply> {
    const from = str(req.from);
    const to = str(req.to);
    if (!from || !to) {
      throw new LinkError('Choose the link to move and the profile to give it to.');
    }
    const { records } = await this.store.list();
    const record = records.find((r) => profileKey(r.profile) === profileKey(from));
    if (!record) {
      throw new LinkError(`There is no link for "${from}" any more: reload the settings.`);
    }
    const taken = records.find((r) => profileKey(r.profile) === profileKey(to));
    if (taken) {
      throw new LinkError(`"${to}" is already linked to Withings user ${taken.userid}: unlink it first.`);
    }
    // Under the file's lock against what is on disk now, so a refresh by the running plugin in
    // between is kept (its rotated pair), never written back over.
    const moved = await this.store.update(record.userid, (current) => current && { ...current, profile: to, updated_at: epochSeconds(this.clock) });
    if (!moved) {
      throw new LinkError(`There is no link for "${from}" any more: reload the settings.`);
    }
    return { moved: true, userid: record.userid, profile: to };
  }

  /** Deletes the profile's grant, and the plugin's own notification subscriptions for that user. */
  async unlink(req: UnlinkRequest): Promise<UnlinkReply> {
    const profile = str(req.profile);
    const { records } = await this.store.list();
    const mine = records.filter((r) => profileKey(r.profile) === profileKey(profile));
    for (const r of mine) {
      await this.revokeSubscriptions(r);
      await this.store.remove(r.userid);
      await this.removeHistory(r.userid);
    }
    return { removed: mine.length > 0, userid: mine[0]?.userid };
  }

  private async adopt(profile: string, clientId: string, grant: TokenGrant): Promise<CompleteReply> {
    const { records } = await this.store.list();
    const owner = records.find((r) => r.userid === grant.userid);
    if (owner && profileKey(owner.profile) !== profileKey(profile)) {
      throw new LinkError(`Withings user ${grant.userid} is already linked to profile "${owner.profile}". Sign in as the person of "${profile}" instead, or unlink "${owner.profile}" first.`);
    }
    const previous = records.find((r) => profileKey(r.profile) === profileKey(profile) && r.userid !== grant.userid);
    if (previous) {
      const confirmId = randomBytes(16).toString('hex');
      this.confirms.set(confirmId, { profile, clientId, grant, previousUserid: previous.userid, createdAt: this.clock.now() });
      return { status: 'confirm', profile, confirmId, previousUserid: previous.userid, newUserid: grant.userid };
    }
    await this.save(profile, clientId, grant);
    return this.linked(profile, grant);
  }

  private linked(profile: string, grant: TokenGrant): CompleteReply {
    const granted = parseScopes(grant.scope);
    return {
      status: 'linked', profile, userid: grant.userid, scope: grant.scope,
      missingScopes: ['user.metrics', 'user.activity'].filter((s) => !granted.has(s)),
    };
  }

  private async save(profile: string, clientId: string, grant: TokenGrant): Promise<void> {
    await this.store.write(newTokenRecord(grant, { profile, clientId, nowSeconds: epochSeconds(this.clock) }));
  }

  private async revokeSubscriptions(record: TokenRecord): Promise<void> {
    // Best effort, and only the plugin's own (recognised by their comment): subscriptions another
    // tool made with the same app are left alone. A failure here never blocks the unlink; an
    // expired access token leaves them to Withings, which drops them once deliveries fail (404).
    try {
      const subscriptions = parseSubscriptions(await this.http.post<unknown>('/notify', { action: 'list' }, { token: record.access_token }));
      for (const p of subscriptions.filter(isOurs)) {
        await this.http.post('/notify', { action: 'revoke', callbackurl: p.callbackurl, appli: p.appli }, { token: record.access_token }).catch(() => undefined);
      }
    } catch (e) {
      if (!isWithingsError(e)) {
        throw e;
      }
    }
  }

  /** An unlinked user's chart history goes with the grant (the README promises it). */
  private async removeHistory(userid: string): Promise<void> {
    await rm(join(this.store.dir, historyFileName(userid)), { force: true });
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [k, v] of this.pending) {
      if (now - v.createdAt > STATE_TTL_MS) {
        this.pending.delete(k);
      }
    }
    for (const [k, v] of this.confirms) {
      if (now - v.createdAt > CONFIRM_TTL_MS) {
        this.confirms.delete(k);
      }
    }
  }
}

/** The status file's notification record in the page's words (tolerant: the file is another process's). */
export function notificationsOf(n: NotificationStatusRecord | undefined): ProfileNotifications | undefined {
  if (!n || !['off', 'pending', 'active', 'failing'].includes(n.state)) {
    return undefined;
  }
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? redact(v) : undefined);
  return {
    state: n.state,
    applis: Array.isArray(n.applis) ? n.applis.filter((a): a is number => typeof a === 'number') : [],
    callback: text(n.callback),
    lastReceived: num(n.last_received),
    lastAppli: num(n.last_appli),
    reason: text(n.reason),
    action: text(n.action),
  };
}

/** Scopes the selected measurements need (all measurements when none are given). */
export function neededScopes(measurements: unknown): Set<string> {
  const metrics: MetricDefinition[] = Array.isArray(measurements) && measurements.length > 0
    ? measurements.map((k) => metricByKey(String(k))).filter((m): m is MetricDefinition => m !== undefined)
    : [...METRICS];
  // In Bed needs user.sleepevents only with notifications on; the plugin's status reports that case.
  return new Set(metrics.filter((m) => m.source.kind !== 'bed-presence').map(scopeFor));
}

/**
 * Reads what the user pasted: the whole redirected address (even of a page that failed to load) or
 * just its query string. A bare code, or an address without `state`, carries no state: the caller
 * refuses it (a crafted address with someone else's code must not pass without the state check).
 */
export function parseRedirect(input: string): { code?: string; state?: string; error?: string } {
  const text = input.trim();
  const at = text.search(/[?&#](code|state|error)=/);
  if (at < 0) {
    return {};
  }
  const params = new URLSearchParams(text.slice(at + 1).replace(/#/g, '&'));
  return {
    code: params.get('code') || undefined,
    state: params.get('state') || undefined,
    error: params.get('error') || undefined,
  };
}

/** The errors the plugin would log at start-up for these settings (never the secret: see config.ts). */
export function configErrors(config: unknown): string[] {
  const result = parseConfig(config);
  return result.ok ? [] : result.errors;
}
