/**
 * The settings page (runs in the Config UI X iframe). Keeps the normal settings form and adds,
 * per profile, its link state with Link / Re-link / Unlink, the callback URL to register (and
 * whether Withings accepts it), the settings the plugin would refuse, and the paste-the-address
 * fallback. The parts live in `parts/` (esbuild bundles them). Talks only to this plugin's UI server: the secret and the tokens
 * never come back to the page.
 */
import type { PluginConfig } from '@homebridge/plugin-ui-utils/ui.interface';

import type { CompleteReply, ConfirmReply, ProfileStatus, StatusReply } from '../contract.js';
import { renderCallback } from './parts/callback-box.js';
import { $, el, errorText, homebridge, list, request } from './parts/host.js';
import { LinkWindows } from './parts/link-window.js';
import { grantedWords, scopeWords } from './parts/scopes.js';

let config: PluginConfig = { platform: 'Withings' };
let lastStatus: StatusReply | undefined;
/** The last message of each profile: it stays (across re-renders) until that profile's next action. */
const messages = new Map<string, { text: string; kind: MessageKind }>();
const windows = new LinkWindows(
  (profile, state, url) => void complete({ state, input: url }, profile),
  () => `${window.location.origin}${lastStatus?.callbackPath ?? ''}`,
);

type MessageKind = 'info' | 'danger' | 'warning' | 'success';

function profiles(): string[] {
  const list = Array.isArray(config.profiles) ? config.profiles : [];
  return list.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
}

/** What the server builds the redirect URI from (it never takes a finished one from the page). */
function callbackInputs(): { callbackUrl: unknown; baseUrl: unknown; origin: string } {
  return { callbackUrl: config.callback_url, baseUrl: config.base_url, origin: window.location.origin };
}

function setMessage(profile: string, text: string, kind: MessageKind = 'info'): void {
  messages.set(profile, { text, kind });
  showMessage(profile);
  homebridge.fixScrollHeight();
}

function showMessage(profile: string): void {
  const row = rowOf(profile);
  const box = row && $<HTMLElement>('.withings-message', row);
  const m = messages.get(profile);
  if (box && m) {
    box.className = `withings-message small text-${m.kind}`;
    box.textContent = m.text;
  }
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
  renderCallback(status.callback, status.authorizeHost, () => void useHostedCallback(status.callback.hosted));
  renderConfigErrors(status.configErrors);

  const rows = $<HTMLElement>('#withings-profiles');
  rows.replaceChildren();
  if (status.profiles.length === 0) {
    rows.append(el('p', { class: 'text-muted', text: 'Add a profile (the name of a person) under "Profiles" below, then link it here.' }));
  }
  for (const s of status.profiles) {
    // badge-* (Bootstrap 4, Config UI X 4.x) and bg-* (Bootstrap 5, 5.x) side by side.
    const tone = s.state === 'linked' ? 'success' : s.state === 'needs-relink' ? 'danger' : 'secondary';
    const badge = el('span', { class: `withings-state badge badge-${tone} bg-${tone}`, text: describe(s) });
    const details: string[] = [];
    if (s.state === 'linked' && s.scope) {details.push(`allows ${list(grantedWords(s.scope))}`);}
    if (s.lastSync) {details.push(`last sync ${new Date(s.lastSync * 1000).toLocaleString()}`);}
    const link = el('button', { type: 'button', class: 'btn btn-primary btn-sm withings-link', text: s.state === 'unlinked' ? 'Link' : 'Re-link' });
    const unlink = el('button', { type: 'button', class: 'btn btn-outline-danger btn-sm withings-unlink', text: 'Unlink' });
    unlink.hidden = s.state === 'unlinked';
    link.addEventListener('click', () => startLink(s.name));
    unlink.addEventListener('click', () => unlinkProfile(s.name, unlink));
    const pasteInput = el('input', { type: 'text', class: 'form-control form-control-sm withings-paste-input', placeholder: 'Paste the address of the page Withings sent you to', autocomplete: 'off' });
    const finish = el('button', { type: 'button', class: 'btn btn-primary btn-sm withings-finish', text: 'Finish' });
    finish.addEventListener('click', () => finishPasted(s.name, pasteInput.value));
    const paste = el('div', { class: 'withings-paste mt-2' },
      el('div', { class: 'small text-muted mb-1', text: 'If the Withings window does not come back here by itself: copy the address shown in that window after you pressed Allow (the callback page has a Copy button; if the page says it cannot be reached, copy it from the address bar), paste it here and press Finish.' }),
      el('div', { class: 'input-group input-group-sm' }, pasteInput, finish));
    paste.hidden = windows.stateOf(s.name) === undefined;
    const row = el('div', { class: 'withings-profile border rounded p-2 mb-2', 'data-profile': s.name },
      el('div', { class: 'withings-row' },
        el('strong', { class: 'withings-name', text: s.name }), badge,
        el('span', { class: 'withings-actions' }, link, unlink)),
      el('div', { class: 'small text-muted withings-details', text: details.join(' · ') }),
      el('div', { class: 'withings-warning small text-warning' }),
      paste,
      el('div', { class: 'withings-confirm mt-2' }),
      el('div', { class: 'withings-message small' }));
    rows.append(row);
    showMessage(s.name);
    renderNotifications(row, s);
    const warning = $<HTMLElement>('.withings-warning', row);
    if (s.state === 'needs-relink' && s.reason) {
      warning.className = 'withings-warning small text-danger';
      warning.textContent = `Needs re-linking: ${s.reason}. Press Re-link.`;
    } else if (s.missingScopes.length > 0) {
      warning.textContent = `This link does not allow ${list(s.missingScopes.map(scopeWords))}, which the selected measurements need. Press Re-link and allow every permission.`;
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

let lastRefresh = 0;
let lastInputs = '';

/** Asks the server for the links and the check of the settings; `force` even when nothing it reads changed. */
async function refresh(force = true): Promise<void> {
  const body = { profiles: profiles(), measurements: config.measurements, clientId: config.client_id, ...callbackInputs(), config };
  const inputs = JSON.stringify(body);
  if (!force && inputs === lastInputs) {
    return; // the form re-sent the same settings: nothing to ask (each request is a line in the Homebridge log)
  }
  lastInputs = inputs;
  lastRefresh = Date.now();
  try {
    render(await request('/status', body));
  } catch (e) {
    $<HTMLElement>('#withings-status').textContent = errorText(e);
  }
}

/** Settings the plugin would refuse: listed above the form, and Save disabled until they are fixed. */
function renderConfigErrors(errors: string[]): void {
  const box = $<HTMLElement>('#withings-config-errors');
  box.replaceChildren(...errors.map((e) => el('li', { text: `${e.charAt(0).toUpperCase()}${e.slice(1)}.` })));
  box.hidden = errors.length === 0;
  // disableSaveButton is new in plugin-ui-utils 2.0 (Config UI X 5): older UIs keep Save enabled.
  const ui = homebridge as unknown as { disableSaveButton?: () => void; enableSaveButton?: () => void };
  if (errors.length > 0) {
    ui.disableSaveButton?.();
  } else {
    ui.enableSaveButton?.();
  }
}

/**
 * After a link, the running plugin picks the grant up by itself: look again every 5 s (only while
 * the page is visible, for at most a minute) until it reports its first sync for that profile.
 */
function watchFirstSync(profile: string): void {
  let left = 12;
  const tick = async (): Promise<void> => {
    left -= 1;
    if (document.visibilityState === 'visible') {
      await refresh();
    }
    const s = lastStatus?.profiles.find((p) => p.name === profile);
    if (left > 0 && s?.state === 'linked' && !s.lastSync) {
      window.setTimeout(() => void tick(), 5000);
    }
  };
  window.setTimeout(() => void tick(), 5000);
}

/** Opens the Withings window. It is opened synchronously in the click so browsers allow it. */
async function startLink(profile: string): Promise<void> {
  const popup = window.open('about:blank', `withings-link-${profiles().indexOf(profile)}`);
  setMessage(profile, 'Opening the Withings page…');
  try {
    const reply = await request('/link/start', { profile, clientId: config.client_id, clientSecret: config.client_secret, ...callbackInputs() });
    windows.begin(profile, reply, popup && !popup.closed ? popup : null);
    const row = rowOf(profile);
    if (row) {$<HTMLElement>('.withings-paste', row).hidden = false;}
    if (popup && !popup.closed) {
      setMessage(profile, `Sign in at Withings as ${profile} and press Allow. This page updates by itself when the window comes back.`);
    } else {
      const open = el('button', { type: 'button', class: 'btn btn-link btn-sm p-0 withings-open', text: 'open the Withings page' });
      open.addEventListener('click', () => {
        if (windows.open(profile, reply.redirectUri)) {
          setMessage(profile, `Sign in at Withings as ${profile} and press Allow. This page updates by itself when the window comes back.`);
        }
      });
      messages.delete(profile);
      const message = rowOf(profile) && $<HTMLElement>('.withings-message', rowOf(profile)!);
      message?.replaceChildren('Your browser blocked the window: ', open, '.');
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
  const waiting = windows.stateOf(profile);
  if (waiting) {
    windows.end(waiting);
  }
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
  watchFirstSync(profile);
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
  await complete({ state: windows.stateOf(profile), input: text.trim() }, profile);
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

async function saveConfig(save = true): Promise<void> {
  setStatus('saving');
  homebridge.hideSchemaForm();
  try {
    await homebridge.updatePluginConfig([config]);
    if (save) {
      await homebridge.savePluginConfig();
    }
  } catch {
    homebridge.toast.warning('Press Save to keep the settings together with the new link.', 'Withings');
  } finally {
    homebridge.showSchemaForm();
    // The re-created form needs a moment before its edits reach this page again.
    window.setTimeout(() => setStatus('ready'), 1000);
  }
}

/** "Use the hosted callback page": sets `callback_url` in the form (the user saves it with Save). */
async function useHostedCallback(hosted: string): Promise<void> {
  config = { ...config, callback_url: hosted };
  await saveConfig(false);
  await refresh();
  homebridge.toast.info(`Register ${hosted} as the callback URL of your Withings app, then press Save here.`, 'Withings');
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
  let timer: number | undefined;
  homebridge.addEventListener('configChanged', (e: Event) => {
    const next = (e as MessageEvent<PluginConfig[]>).data;
    config = next?.[0] ?? config;
    clearTimeout(timer);
    timer = window.setTimeout(() => void refresh(false), 300);
  });
  // Nothing polls in the background; coming back to a page hidden for a while shows fresh links.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && Date.now() - lastRefresh > 30_000) {
      void refresh();
    }
  });
  await refresh();
  setStatus('ready');
}

homebridge.addEventListener('ready', () => {
  init().catch((e) => {
    $<HTMLElement>('#withings-status').textContent = errorText(e);
  });
});
