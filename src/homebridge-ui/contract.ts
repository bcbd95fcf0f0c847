/**
 * The one contract between the settings page (browser) and its server (Node, over Config UI X's
 * IPC): every route with its request and reply. Both sides import these types; the page's bundle
 * takes types only from here, never code.
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
}

export interface StatusRequest {
  readonly profiles?: unknown;
  readonly measurements?: unknown;
  readonly clientId?: unknown;
}

export interface StatusReply {
  readonly profiles: ProfileStatus[];
  /** Links on disk for profiles that are not in the form (kept until unlinked or the profile returns). */
  readonly otherLinks: { userid: string; profile: string }[];
  readonly callbackPath: string;
  /** Host of the consent page (withings.com, or a simulator). */
  readonly authorizeHost: string;
}

export interface StartRequest {
  readonly profile?: unknown;
  readonly clientId?: unknown;
  readonly clientSecret?: unknown;
  readonly redirectUri?: unknown;
}

export interface StartReply {
  readonly url: string;
  readonly state: string;
}

export interface CompleteRequest {
  /** The attempt the address belongs to (the page knows it; the address must carry the same). */
  readonly state?: unknown;
  /** The redirected address, its query string, or the bare code. */
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

/** The message the callback page posts to the settings page that opened the Withings window. */
export interface RedirectMessage {
  readonly source: 'homebridge-withings';
  readonly url: string;
}
