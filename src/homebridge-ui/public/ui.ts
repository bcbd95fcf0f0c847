/**
 * The settings page (runs in the Config UI X iframe). Keeps the normal settings form and adds,
 * per profile, its link state with Link / Re-link / Unlink, the callback URL to register, and the
 * paste-the-address fallback. Talks only to this plugin's UI server: the secret and the tokens
 * never come back to the page.
 */
import type { IHomebridgePluginUi, PluginConfig } from '@homebridge/plugin-ui-utils/ui.interface';

import type { CompleteReply, ConfirmReply, ProfileStatus, RedirectMessage, Route, Routes, StatusReply } from '../contract.js';

const homebridge = (window as unknown as { homebridge: IHomebridgePluginUi }).homebridge;
const CHANNEL = 'homebridge-withings-oauth';

/** A request to this plugin's UI server, typed by the contract (the one place a reply is typed). */
function request<R extends Route>(path: R, body: Routes[R]['request']): Promise<Routes[R]['reply']> {
  return homebridge.request(path, body) as Promise<Routes[R]['reply']>;
}

let config: PluginConfig = { platform: 'Withings' };
let lastStatus: StatusReply | undefined;
/** state → profile of the link attempts waiting for their redirect. */
const pending = new Map<string, string>();
/** Profile → state of its current attempt (for the paste box). */
const attemptOf = new Map<string, string>();
const completed = new Set<string>();

const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document): T => root.querySelector(selector) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') {
      node.textContent = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  node.append(...children);
  return node;
}

function profiles(): string[] {
  const list = Array.isArray(config.profiles) ? config.profiles : [];
  return list.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
}

/** The address Withings sends the browser back to: `<base_url or this UI's address>/api/plugins/…/callback.html`. */
function callbackUrl(path: string): string {
  const base = typeof config.base_url === 'string' && config.base_url.trim() ? config.base_url.trim().replace(/\/+$/, '') : window.location.origin;
  return `${base}${path}`;
}

function errorText(e: unknown): string {
  const m = (e as { message?: unknown })?.message;
  return typeof m === 'string' && m ? m : 'Something went wrong.';
}

function setMessage(profile: string, text: string, kind: 'info' | 'danger' | 'warning' | 'success' = 'info'): void {
  const row = rowOf(profile);
  const box = row && $<HTMLElement>('.withings-message', row);
  if (box) {
    box.className = `withings-message small text-${kind}`;
    box.textContent = text;
  }
  homebridge.fixScrollHeight();
}

function rowOf(profile: string): HTMLElement | undefined {
  return [...document.querySelectorAll<HTMLElement>('.withings-profile')].find((r) => r.dataset.profile === profile);
}

function describe(s: ProfileStatus): string {
  switch (s.state) {
    case 'unlinked':
      return 'not linked';
    case 'linked':
      return `linked · Withings user ${s.userid}`;
    case 'needs-relink':
      return `needs re-linking · Withings user ${s.userid ?? '?'}`;
  }
}

function render(status: StatusReply): void {
  lastStatus = status;
  const url = callbackUrl(status.callbackPath);
  $<HTMLElement>('#withings-callback-url').textContent = url;
  const insecure = !/^https:\/\//.test(url) || /\/\/(localhost|\d+\.\d+\.\d+\.\d+|\[)/.test(url);
  $<HTMLElement>('#withings-callback-hint').hidden = !insecure || !/withings\.com$/.test(status.authorizeHost);

  const list = $<HTMLElement>('#withings-profiles');
  list.replaceChildren();
  if (status.profiles.length === 0) {
    list.append(el('p', { class: 'text-muted', text: 'Add a profile (the name of a person) under "Profiles" below, then link it here.' }));
  }
  for (const s of status.profiles) {
    // badge-* (Bootstrap 4, Config UI X 4.x) and bg-* (Bootstrap 5, 5.x) side by side.
    const tone = s.state === 'linked' ? 'success' : s.state === 'needs-relink' ? 'danger' : 'secondary';
    const badge = el('span', { class: `withings-state badge badge-${tone} bg-${tone}`, text: describe(s) });
    const details: string[] = [];
    if (s.state === 'linked' && s.scope) {details.push(`permissions: ${s.scope}`);}
    if (s.lastSync) {details.push(`last sync ${new Date(s.lastSync * 1000).toLocaleString()}`);}
    const link = el('button', { type: 'button', class: 'btn btn-primary btn-sm withings-link', text: s.state === 'unlinked' ? 'Link' : 'Re-link' });
    const unlink = el('button', { type: 'button', class: 'btn btn-outline-danger btn-sm withings-unlink', text: 'Unlink' });
    unlink.hidden = s.state === 'unlinked';
    link.addEventListener('click', () => startLink(s.name));
    unlink.addEventListener('click', () => unlinkProfile(s.name, unlink));
    const pasteInput = el('input', { type: 'text', class: 'form-control form-control-sm withings-paste-input', placeholder: 'Paste the address of the page Withings sent you to (or the code)', autocomplete: 'off' });
    const finish = el('button', { type: 'button', class: 'btn btn-primary btn-sm withings-finish', text: 'Finish' });
    finish.addEventListener('click', () => finishPasted(s.name, pasteInput.value));
    const paste = el('div', { class: 'withings-paste mt-2' },
      el('div', { class: 'small text-muted mb-1', text: 'If the Withings window does not come back here by itself: copy the address shown in that window after you pressed Allow (even if the page says it cannot be reached), paste it here and press Finish.' }),
      el('div', { class: 'input-group input-group-sm' }, pasteInput, finish));
    paste.hidden = !attemptOf.has(s.name);
    const row = el('div', { class: 'withings-profile border rounded p-2 mb-2', 'data-profile': s.name },
      el('div', { class: 'withings-row' },
        el('strong', { class: 'withings-name', text: s.name }), badge,
        el('span', { class: 'withings-actions' }, link, unlink)),
      el('div', { class: 'small text-muted withings-details', text: details.join(' · ') }),
      el('div', { class: 'withings-warning small text-warning' }),
      paste,
      el('div', { class: 'withings-confirm mt-2' }),
      el('div', { class: 'withings-message small' }));
    list.append(row);
    renderNotifications(row, s);
    const warning = $<HTMLElement>('.withings-warning', row);
    if (s.state === 'needs-relink' && s.reason) {
      warning.className = 'withings-warning small text-danger';
      warning.textContent = `Needs re-linking: ${s.reason}. Press Re-link.`;
    } else if (s.missingScopes.length > 0) {
      warning.textContent = `This link does not allow ${s.missingScopes.join(' and ')}, which the selected measurements need. Press Re-link and allow every permission.`;
    }
  }
  const others = $<HTMLElement>('#withings-other-links');
  others.replaceChildren();
  const unlinked = status.profiles.filter((p) => p.state === 'unlinked').map((p) => p.name);
  for (const o of status.otherLinks) {
    const remove = el('button', { type: 'button', class: 'btn btn-link btn-sm p-0', text: 'Unlink' });
    remove.addEventListener('click', () => unlinkProfile(o.profile, remove));
    // A renamed profile: give its link to the new name, keeping its sensors, rooms and automations.
    const moves = unlinked.map((name) => {
      const b = el('button', { type: 'button', class: 'btn btn-link btn-sm p-0 withings-move', text: `Use for "${name}"` });
      b.addEventListener('click', () => moveLink(o.profile, name));
      return b;
    });
    others.append(el('div', { class: 'small text-muted withings-row withings-other-link', 'data-profile': o.profile },
      `Withings user ${o.userid} is linked to "${o.profile}", which is not in Profiles.`, ...moves, remove));
  }
  homebridge.fixScrollHeight();
}

/** Appli numbers in words, for the notifications line. */
const APPLI_NAMES: Record<number, string> = { 1: 'body', 2: 'temperature', 4: 'blood pressure', 16: 'activity', 44: 'sleep', 50: 'in bed', 51: 'out of bed' };

/** One line per linked profile: notifications active (what, last received), failing (why, what to do) or off. */
function renderNotifications(row: HTMLElement, s: ProfileStatus): void {
  const n = s.notifications;
  if (s.state === 'unlinked' || !n || n.state === 'off') {
    return;
  }
  const applis = n.applis.map((a) => APPLI_NAMES[a] ?? `appli ${a}`).join(', ');
  const last = n.lastReceived
    ? `last notification ${new Date(n.lastReceived * 1000).toLocaleString()}${n.lastAppli ? ` (${APPLI_NAMES[n.lastAppli] ?? `appli ${n.lastAppli}`})` : ''}`
    : 'no notification received yet';
  const line = el('div', { class: `small withings-notifications withings-notifications-${n.state}` });
  if (n.state === 'active') {
    line.classList.add('text-success');
    line.textContent = `Notifications active (${applis}) · ${last}${n.reason ? ` · ${n.reason}. ${n.action ?? ''}` : ''}`;
  } else if (n.state === 'failing') {
    line.classList.add('text-danger');
    line.textContent = `Notifications failing: ${n.reason ?? 'unknown reason'}. ${n.action ?? ''}`;
  } else {
    line.classList.add('text-muted');
    line.textContent = `Notifications being set up (${applis})…`;
  }
  $<HTMLElement>('.withings-details', row).after(line);
}

async function refresh(): Promise<void> {
  try {
    const status = await request('/status', {
      profiles: profiles(), measurements: config.measurements, clientId: config.client_id,
    });
    render(status);
  } catch (e) {
    $<HTMLElement>('#withings-status').textContent = errorText(e);
  }
}

/** Opens the consent page. The window is opened synchronously in the click so browsers allow it. */
async function startLink(profile: string): Promise<void> {
  const popup = window.open('about:blank', `withings-link-${profiles().indexOf(profile)}`);
  setMessage(profile, 'Opening the Withings page…');
  try {
    const { url, state } = await request('/link/start', {
      profile,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      redirectUri: callbackUrl(lastStatus?.callbackPath ?? ''),
    });
    for (const [s, p] of pending) {
      if (p === profile) {pending.delete(s);} // one attempt per profile at a time
    }
    pending.set(state, profile);
    attemptOf.set(profile, state);
    const row = rowOf(profile);
    if (row) {$<HTMLElement>('.withings-paste', row).hidden = false;}
    if (popup && !popup.closed) {
      popup.location.href = url;
      setMessage(profile, `Sign in at Withings as ${profile} and press Allow. This page updates by itself when the window comes back.`);
    } else {
      const message = rowOf(profile) && $<HTMLElement>('.withings-message', rowOf(profile)!);
      message?.replaceChildren('Your browser blocked the window: ', el('a', { href: url, target: '_blank', rel: 'opener', text: 'open the Withings page' }), '.');
    }
  } catch (e) {
    popup?.close();
    setMessage(profile, errorText(e), 'danger');
  }
}

async function complete(body: { state?: string; input: string }, profile: string): Promise<void> {
  setMessage(profile, 'Finishing the link with Withings…');
  homebridge.showSpinner();
  try {
    const result = await request('/link/complete', body);
    await handleResult(result);
  } catch (e) {
    setMessage(profile, errorText(e), 'danger');
  } finally {
    homebridge.hideSpinner();
  }
}

async function handleResult(result: ConfirmReply): Promise<void> {
  const profile = result.profile;
  if (result.status === 'confirm') {
    askToReplace(result);
    return;
  }
  attemptOf.delete(profile);
  if (result.status === 'cancelled') {
    await refresh();
    setMessage(profile, 'Kept the previous link.');
    return;
  }
  await refresh();
  setMessage(profile, `Linked to Withings user ${result.userid}. The running plugin picks it up by itself.`, 'success');
  if (result.missingScopes.length > 0) {
    setMessage(profile, `Linked to Withings user ${result.userid}, but without ${result.missingScopes.join(' and ')}: some measurements cannot be read. Press Re-link and allow every permission.`, 'warning');
  }
  homebridge.toast.success(`${profile} is linked to Withings.`, 'Withings');
  await saveConfig();
}

/** Re-linking to another person than before needs a yes (no modal dialogs exist in this iframe). */
function askToReplace(result: Extract<CompleteReply, { status: 'confirm' }>): void {
  const row = rowOf(result.profile);
  if (!row) {return;}
  const box = $<HTMLElement>('.withings-confirm', row);
  const yes = el('button', { type: 'button', class: 'btn btn-warning btn-sm withings-confirm-yes', text: `Show Withings user ${result.newUserid}` });
  const no = el('button', { type: 'button', class: 'btn btn-outline-secondary btn-sm withings-confirm-no', text: 'Keep the previous person' });
  const answer = async (accept: boolean): Promise<void> => {
    box.replaceChildren();
    try {
      await handleResult(await request('/link/confirm', { confirmId: result.confirmId, accept }));
    } catch (e) {
      setMessage(result.profile, errorText(e), 'danger');
    }
  };
  yes.addEventListener('click', () => answer(true));
  no.addEventListener('click', () => answer(false));
  box.replaceChildren(el('div', { class: 'alert alert-warning p-2 mb-0 small' },
    `"${result.profile}" was linked to Withings user ${result.previousUserid}; you signed in as Withings user ${result.newUserid}, another person. `
      + 'Replacing it removes the sensors of the previous person (rooms and automations are per person). ',
    el('div', { class: 'withings-actions mt-2' }, yes, no)));
  homebridge.fixScrollHeight();
}

async function finishPasted(profile: string, text: string): Promise<void> {
  if (!text.trim()) {
    setMessage(profile, 'Paste the address first.', 'warning');
    return;
  }
  await complete({ state: attemptOf.get(profile), input: text.trim() }, profile);
}

/** The callback page (same origin, or the opener across origins) hands the redirected address over. */
function onRedirect(data: unknown): void {
  const d = data as Partial<RedirectMessage> | null;
  if (!d || d.source !== 'homebridge-withings' || typeof d.url !== 'string') {return;}
  let state: string | null = null;
  try {
    state = new URL(d.url).searchParams.get('state');
  } catch {
    return;
  }
  const profile = state ? pending.get(state) : undefined;
  if (!state || !profile || completed.has(state)) {return;}
  completed.add(state);
  pending.delete(state);
  void complete({ state, input: d.url }, profile);
}

async function unlinkProfile(profile: string, button: HTMLButtonElement): Promise<void> {
  if (button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes';
    button.textContent = 'Press again to unlink';
    setMessage(profile, `Unlinking deletes ${profile}'s Withings link from this server; the sensors show a fault until the profile is linked again.`, 'warning');
    return;
  }
  try {
    await request('/unlink', { profile });
    homebridge.toast.info(`${profile} is no longer linked.`, 'Withings');
    await refresh();
  } catch (e) {
    setMessage(profile, errorText(e), 'danger');
  }
}

/**
 * Saves the settings together with a new link (the profile name and the app it was made with).
 * Config UI X 5.10 rebuilds a visible schema form from its defaults on updatePluginConfig, losing
 * the fields without defaults (client id, secret, profiles): hide the form around the update.
 */
async function moveLink(from: string, to: string): Promise<void> {
  try {
    await request('/link/move', { from, to });
    homebridge.toast.success(`"${to}" now shows the Withings user of "${from}".`, 'Withings');
    await refresh();
    await saveConfig();
  } catch (e) {
    homebridge.toast.error(errorText(e), 'Withings');
  }
}

async function saveConfig(): Promise<void> {
  setStatus('saving');
  homebridge.hideSchemaForm();
  try {
    await homebridge.updatePluginConfig([config]);
    await homebridge.savePluginConfig();
  } catch {
    homebridge.toast.warning('Press Save to keep the settings together with the new link.', 'Withings');
  } finally {
    homebridge.showSchemaForm();
    // The re-created form needs a moment before its edits reach this page again.
    window.setTimeout(() => setStatus('ready'), 1000);
  }
}

/** A machine-readable state for tests and screen readers: loading / ready / saving. */
function setStatus(text: string): void {
  $<HTMLElement>('#withings-status').textContent = text;
}

function copyCallback(): void {
  const url = $<HTMLElement>('#withings-callback-url').textContent ?? '';
  navigator.clipboard?.writeText(url).then(
    () => homebridge.toast.success('Callback URL copied.', 'Withings'),
    () => homebridge.toast.info('Select the address and copy it.', 'Withings'),
  );
}

async function init(): Promise<void> {
  const blocks = await homebridge.getPluginConfig();
  config = blocks[0] ?? { platform: 'Withings' };
  homebridge.showSchemaForm();
  $<HTMLButtonElement>('#withings-copy-callback').addEventListener('click', copyCallback);
  window.addEventListener('message', (e) => onRedirect(e.data));
  try {
    new BroadcastChannel(CHANNEL).addEventListener('message', (e) => onRedirect(e.data));
  } catch {
    // Older browsers: the opener message still arrives.
  }
  let timer: number | undefined;
  homebridge.addEventListener('configChanged', (e: Event) => {
    const next = (e as MessageEvent<PluginConfig[]>).data;
    config = next?.[0] ?? config;
    clearTimeout(timer);
    timer = window.setTimeout(() => void refresh(), 300);
  });
  await refresh();
  setStatus('ready');
}

homebridge.addEventListener('ready', () => {
  init().catch((e) => {
    $<HTMLElement>('#withings-status').textContent = errorText(e);
  });
});
