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

/** Every route: its request body and its reply. Requests are `unknown`-typed where the page sends user input. */
export interface Routes {
  '/status': { request: StatusRequest; reply: StatusReply };
  '/link/start': { request: StartRequest; reply: StartReply };
  '/link/complete': { request: CompleteRequest; reply: CompleteReply };
  '/link/confirm': { request: ConfirmRequest; reply: ConfirmReply };
  '/link/move': { request: MoveRequest; reply: MoveReply };
  '/unlink': { request: UnlinkRequest; reply: UnlinkReply };
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
