/**
 * The Withings window of a link attempt and the messages that come back from it. A callback page
 * (the plugin's own under this UI, or one hosted on another origin) is trusted only as far as this:
 * a message must come from the window this page opened, from the callback URL's origin (or this
 * page's own origin, after the hosted page forwarded there), or on the attempt's own
 * BroadcastChannel; the server still checks the state.
 */
import { channelName, type HelloMessage, type RedirectMessage, type SetupMessage, type StartReply } from '../../contract.js';

const SOURCE = 'homebridge-withings';

interface Attempt {
  readonly profile: string;
  readonly state: string;
  readonly authorize: string;
  readonly callbackOrigin: string;
  popup: Window | null;
  channel?: BroadcastChannel;
  answered: boolean;
}

/** An answer (the redirected address) for the attempt of `profile`. */
export type AnswerHandler = (profile: string, state: string, url: string) => void;

export class LinkWindows {
  private readonly attempts = new Map<string, Attempt>();

  /** @param forward the plugin's own callback page under this UI, where a hosted page may forward the answer. */
  constructor(private readonly onAnswer: AnswerHandler, private readonly forward: () => string) {
    window.addEventListener('message', (e) => this.onMessage(e));
  }

  /** The state of the profile's waiting attempt (for the paste box). */
  stateOf(profile: string): string | undefined {
    return [...this.attempts.values()].find((a) => a.profile === profile && !a.answered)?.state;
  }

  /**
   * Starts the window of a new attempt (one per profile). `popup` is the window opened in the click
   * (or null when the browser blocked it: `open()` then needs another click).
   */
  begin(profile: string, reply: StartReply, popup: Window | null): void {
    for (const a of [...this.attempts.values()].filter((x) => x.profile === profile)) {
      this.end(a.state);
    }
    const attempt: Attempt = { profile, state: reply.state, authorize: reply.url, callbackOrigin: new URL(reply.redirectUri).origin, popup, answered: false };
    try {
      attempt.channel = new BroadcastChannel(channelName(reply.state));
      attempt.channel.addEventListener('message', (e) => this.onRedirect(attempt, e.data, (ack) => attempt.channel?.postMessage(ack)));
    } catch {
      // No BroadcastChannel: the opener message still arrives.
    }
    this.attempts.set(reply.state, attempt);
    if (popup && !popup.closed) {
      popup.location.href = this.firstAddress(attempt, reply.redirectUri);
    }
  }

  /** Opens the window of a waiting attempt from a click (after the browser blocked the first one). */
  open(profile: string, redirectUri: string): boolean {
    const attempt = [...this.attempts.values()].find((a) => a.profile === profile && !a.answered);
    if (!attempt) {
      return false;
    }
    attempt.popup = window.open(this.firstAddress(attempt, redirectUri), `withings-link-${attempt.state.slice(0, 8)}`);
    return attempt.popup !== null;
  }

  end(state: string): void {
    const a = this.attempts.get(state);
    a?.channel?.close();
    this.attempts.delete(state);
  }

  /** Same origin: straight to Withings. Another origin: that callback page first learns who opened it. */
  private firstAddress(attempt: Attempt, redirectUri: string): string {
    return attempt.callbackOrigin === window.location.origin ? attempt.authorize : `${redirectUri}#link=${encodeURIComponent(window.location.origin)}`;
  }

  private onMessage(e: MessageEvent): void {
    const d = e.data as Partial<HelloMessage | RedirectMessage> | null;
    if (!d || d.source !== SOURCE) {
      return;
    }
    const attempt = [...this.attempts.values()].find((a) => a.popup !== null && e.source === a.popup);
    if (!attempt) {
      return; // not from a window this page opened
    }
    if (d.type === 'hello') {
      if (e.origin !== attempt.callbackOrigin) {
        return;
      }
      const setup: SetupMessage = { source: SOURCE, type: 'setup', state: attempt.state, authorize: attempt.authorize, forward: this.forward() };
      attempt.popup?.postMessage(setup, attempt.callbackOrigin);
      return;
    }
    if (e.origin !== attempt.callbackOrigin && e.origin !== window.location.origin) {
      return;
    }
    this.onRedirect(attempt, d, (ack) => (e.source as Window).postMessage(ack, e.origin));
  }

  private onRedirect(attempt: Attempt, data: unknown, ack: (m: unknown) => void): void {
    const d = data as Partial<RedirectMessage> | null;
    if (!d || d.source !== SOURCE || (d.type !== undefined && d.type !== 'redirect') || typeof d.url !== 'string') {
      return;
    }
    let state: string | null = null;
    try {
      state = new URL(d.url).searchParams.get('state');
    } catch {
      return;
    }
    if (state !== attempt.state || attempt.answered) {
      return;
    }
    attempt.answered = true;
    ack({ source: SOURCE, type: 'received', state });
    this.end(attempt.state);
    this.onAnswer(attempt.profile, state, d.url);
  }
}
