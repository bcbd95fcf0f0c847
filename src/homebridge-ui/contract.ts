/**
 * The one contract between the settings page (browser) and its server (Node, over Config UI X's
 * IPC): every route with its request and reply. Both sides import these types; the page's bundle
 * takes types (and the pure `channelName`) only from here, never other plugin code.
 */
import type { LinkState } from '../profile/link-state.js';

/** What the settings page shows of a link: never `stopped` (that is the plugin shutting down). */
export type ProfileLinkState = Exclude<LinkState, 'stopped'>;

export interface ProfileStatus {
  readonly name: string;
  readonly state: ProfileLinkState;
  readonly userid?: string;
  /** Granted scopes (comma-separated). */
  readonly scope?: string;
  /** Scopes the selected measurements need but the grant lacks. */
  readonly missingScopes: string[];
  /** Why the profile needs linking again, in plain words. */
  readonly reason?: string;
  readonly linkedAt?: number;
  /** Last successful sync reported by the running plugin (epoch seconds). */
  readonly lastSync?: number;
  /** Withings notifications as the running plugin reports them (absent: the plugin has not said). */
  readonly notifications?: ProfileNotifications;
}

/** A profile's notifications: off (not configured), pending (being set up), active, or failing (why, what to do). */
export interface ProfileNotifications {
  readonly state: 'off' | 'pending' | 'active' | 'failing';
  readonly applis: readonly number[];
  /** The registered callback URL, its secret masked. */
  readonly callback?: string;
  /** The last notification received (epoch seconds) and its appli. */
  readonly lastReceived?: number;
  readonly lastAppli?: number;
  readonly reason?: string;
  readonly action?: string;
}

/**
 * What the server builds the redirect URI from (never a finished URI from the page):
 * `callback_url`, else `base_url`, else the address the browser reaches this UI at.
 */
export interface CallbackInputs {
  readonly callbackUrl?: unknown;
  readonly baseUrl?: unknown;
  /** The settings page's `location.origin`. */
  readonly origin?: unknown;
}

export interface StatusRequest extends CallbackInputs {
  readonly profiles?: unknown;
  readonly measurements?: unknown;
  readonly clientId?: unknown;
  /** The whole settings block as the form holds it: checked as the plugin checks it at start-up. */
  readonly config?: unknown;
}

/** The one callback URL to register, and whether Withings will accept it. */
export interface CallbackInfo {
  /** The redirect URI the plugin sends; absent when the settings do not give one (`error` says why). */
  readonly url?: string;
  readonly error?: string;
  /** Withings' rules, in words: empty when it will be accepted. */
  readonly problems: string[];
  readonly accepted: boolean;
  /** The project's hosted callback page, offered when the URL will not be accepted. */
  readonly hosted: string;
  /** Withings itself (true) or a stand-in such as the simulator (the rules are Withings'). */
  readonly withings: boolean;
}

export interface StatusReply {
  readonly profiles: ProfileStatus[];
  /** Links on disk for profiles that are not in the form (kept until unlinked or the profile returns). */
  readonly otherLinks: { userid: string; profile: string }[];
  readonly callbackPath: string;
  readonly callback: CallbackInfo;
  /** What the plugin would refuse in these settings (the same check as at start-up); empty when valid. */
  readonly configErrors: string[];
  /** Host of the consent page (withings.com, or a simulator). */
  readonly authorizeHost: string;
}

export interface StartRequest extends CallbackInputs {
  readonly profile?: unknown;
  readonly clientId?: unknown;
  readonly clientSecret?: unknown;
}

export interface StartReply {
  readonly url: string;
  readonly state: string;
  /** The redirect URI this attempt uses (built by the server). */
  readonly redirectUri: string;
}

export interface CompleteRequest {
  /** The attempt the address belongs to (the page knows it; the address must carry the same). */
  readonly state?: unknown;
  /** The redirected address or its query string; it must carry the attempt's `state`. */
  readonly input?: unknown;
}

export type CompleteReply =
  | { readonly status: 'linked'; readonly profile: string; readonly userid: string; readonly scope: string; readonly missingScopes: string[] }
  | { readonly status: 'confirm'; readonly profile: string; readonly confirmId: string; readonly previousUserid: string; readonly newUserid: string };

export interface ConfirmRequest {
  readonly confirmId?: unknown;
  readonly accept?: unknown;
}

export type ConfirmReply = CompleteReply | { readonly status: 'cancelled'; readonly profile: string };

export interface MoveRequest {
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface MoveReply {
  readonly moved: true;
  readonly userid: string;
  readonly profile: string;
}

export interface UnlinkRequest {
  readonly profile?: unknown;
}

export interface UnlinkReply {
  readonly removed: boolean;
  readonly userid?: string;
}

export interface HistoryRequest {
  /** The profiles of the form, in order (one card each). */
  readonly profiles?: unknown;
  /** The selected measurements (none: all). */
  readonly measurements?: unknown;
}

/** One measurement's points, with what the page needs to label it (the page has no catalog). */
export interface HistorySeries {
  readonly key: string;
  readonly label: string;
  /** The catalog unit: kg, mmHg, bpm, s, %, count… */
  readonly unit: string;
  readonly decimals: number;
  /** One point per day (nights, activity) rather than every reading. */
  readonly daily: boolean;
  /** [measured at (epoch s), value], oldest first. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ProfileHistory {
  readonly name: string;
  readonly userid?: string;
  /** The profile's time zone (the days of the charts). */
  readonly timezone?: string;
  /** When the plugin last changed the history (epoch s). */
  readonly updatedAt?: number;
  /** Empty when there is no history yet (not linked, not synced, or the file missing or unreadable). */
  readonly series: HistorySeries[];
}

export interface HistoryReply {
  /** The server's clock (epoch s), for "measured 3 h ago". */
  readonly now: number;
  readonly profiles: ProfileHistory[];
}

/** Every route: its request body and its reply. Requests are `unknown`-typed where the page sends user input. */
export interface Routes {
  '/status': { request: StatusRequest; reply: StatusReply };
  '/link/start': { request: StartRequest; reply: StartReply };
  '/link/complete': { request: CompleteRequest; reply: CompleteReply };
  '/link/confirm': { request: ConfirmRequest; reply: ConfirmReply };
  '/link/move': { request: MoveRequest; reply: MoveReply };
  '/unlink': { request: UnlinkRequest; reply: UnlinkReply };
  '/history': { request: HistoryRequest; reply: HistoryReply };
}

export type Route = keyof Routes;

/**
 * Messages between the settings page and a callback page (the plugin's own or a hosted one). The
 * page accepts them only from the callback URL's origin and from the window it opened (or, same
 * origin, on the attempt's BroadcastChannel); the server still checks the state.
 */
export interface RedirectMessage {
  readonly source: 'homebridge-withings';
  readonly type?: 'redirect';
  readonly url: string;
}

/** A hosted callback page, opened by the settings page, asks who opened it (posted to the origin it was given). */
export interface HelloMessage {
  readonly source: 'homebridge-withings';
  readonly type: 'hello';
}

/** The settings page's answer: where to send the user now, and where to forward the answer if the window loses its opener. */
export interface SetupMessage {
  readonly source: 'homebridge-withings';
  readonly type: 'setup';
  readonly state: string;
  /** The Withings consent page of this attempt. */
  readonly authorize: string;
  /** The plugin's own callback page under this Homebridge UI (same origin as the settings page). */
  readonly forward: string;
}

/** The BroadcastChannel of one attempt: only the settings page waiting for that attempt listens. */
export const channelName = (state: string): string => `homebridge-withings-oauth-${state}`;
