// Steps hook for Config UI X acceptance runs (a `custom-ui-flow.mjs --steps` hook, see tools/ui-flow.sh):
// links two profiles end to end in the real Config UI X and Chromium against a Withings simulator.
//   - the first profile with the popup: the callback page hands the result back by itself;
//   - the second with the paste fallback: the callback page is made unreachable, the redirected
//     address is pasted into the settings page.
// Environment:
//   LINK_PROFILES             "Alice:1001001,Bob:1001002" (profile:userid to pick on the consent page)
//   CONSENT_ALLOW_SELECTOR    the consent page's allow button (default "#allow")
//   CONSENT_PROFILE_SELECTOR  the person choice, "{userid}" substituted (default '[data-userid="{userid}"]')
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const profiles = (process.env.LINK_PROFILES || 'Alice:1001001,Bob:1001002').split(',').map((p) => {
  const [name, userid] = p.split(':');
  return { name: name.trim(), userid: userid?.trim() };
});
const allowSelector = process.env.CONSENT_ALLOW_SELECTOR || '#allow';
const profileSelector = process.env.CONSENT_PROFILE_SELECTOR || '[data-userid="{userid}"]';

/** A local port nothing listens on (an ordinary one: Chromium refuses some low ports outright). */
const closedPort = () => new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
});

const row = (name) => `.withings-profile[data-profile="${name}"]`;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default async function steps({ frame, page, shot, log, authorizeInPopup, waitForFrameText, readConfig, saveSettings, opts }) {
  await waitForFrameText('#withings-status', /^ready$/);
  await shot('profiles-unlinked');

  const consent = (userid) => async (popup) => {
    if (userid) {
      const choice = popup.locator(profileSelector.replaceAll('{userid}', userid));
      if (await choice.count()) {
        await choice.first().check().catch(() => choice.first().click());
        log(`  chose ${userid} on the consent page`);
      }
    }
    await shot('consent-page', popup);
    await popup.click(allowSelector);
  };

  // 1. Popup flow: the Withings window comes back to the callback page, which finishes the link.
  const [first, second] = profiles;
  const url1 = await authorizeInPopup({ open: () => frame.click(`${row(first.name)} .withings-link`), allow: consent(first.userid) });
  log(`  ${first.name}: redirected to ${url1.replace(/code=[^&]+/, 'code=…').replace(/state=[^&]+/, 'state=…')}`);
  const state1 = await waitForFrameText(`${row(first.name)} .withings-state`, new RegExp(`linked · Withings user ${first.userid ? escapeRe(first.userid) : '\\d+'}`), 20000);
  log(`  ${first.name}: ${state1}`);
  await shot('first-linked-by-popup');
  await waitForFrameText('#withings-status', /^ready$/); // the settings were saved with the link

  // 2. Paste flow: the callback address is not reachable by the browser (Base URL points at a closed
  // port), so the Withings window cannot come back; the user pastes the address it was sent to.
  const deadBase = `http://127.0.0.1:${await closedPort()}`;
  await page.fill('input[name="base_url"]', deadBase);
  await waitForFrameText('#withings-callback-url', new RegExp(`^${escapeRe(deadBase)}/`));
  const url2 = await authorizeInPopup({ open: () => frame.click(`${row(second.name)} .withings-link`), allow: consent(second.userid) });
  if (!/[?&]code=/.test(url2)) {throw new Error('no code in the redirected address');}
  await frame.fill(`${row(second.name)} .withings-paste-input`, url2);
  await shot('second-address-pasted');
  await frame.click(`${row(second.name)} .withings-finish`);
  const state2 = await waitForFrameText(`${row(second.name)} .withings-state`, new RegExp(`linked · Withings user ${second.userid ? escapeRe(second.userid) : '\\d+'}`), 20000);
  log(`  ${second.name}: ${state2}`);
  await page.waitForTimeout(500);
  await shot('both-linked');
  await page.fill('input[name="base_url"]', '');
  await saveSettings();

  // 3. What landed on disk: token files with mode 0600, no token in config.json.
  const storage = opts.storage;
  for (const p of [first, second]) {
    if (!p.userid) {continue;}
    const file = join(storage, 'withings', `${p.userid}.json`);
    const mode = statSync(file).mode & 0o777;
    const record = JSON.parse(readFileSync(file, 'utf8'));
    if (mode !== 0o600) {throw new Error(`${file} has mode ${mode.toString(8)}`);}
    if (record.profile !== p.name) {throw new Error(`${file} names profile ${record.profile}`);}
    log(`  ${file}: mode 600, profile ${record.profile}`);
  }
  const config = JSON.stringify(readConfig());
  if (/access_token|refresh_token/.test(config)) {throw new Error('config.json holds a token');}
  log('  config.json holds no token');
}
