/* global window */
// Steps hook for Config UI X acceptance runs (`tools/ui-flow.sh` with STEPS=test/ui/hosted-callback-steps.mjs):
//   0. settings the plugin would refuse are listed and Save is disabled until they are fixed;
// linking without a public address, with the project's callback page (docs/callback.html) served from
// a second loopback origin (http://localhost:<port>, the UI being http://127.0.0.1:<port>):
//   1. the page offers the hosted callback page in one click when Withings would refuse the UI's own;
//   2. Alice links through the popup: callback page → settings page by postMessage, no paste;
//   3. Bob links through the paste fallback: the window lost its opener and nothing was remembered,
//      so the callback page shows the address with a Copy button; it is pasted into the settings page;
//   4. the window loses its opener but the callback page remembers this attempt's Homebridge UI:
//      it forwards there and the plugin's own callback page hands the answer over (no paste);
//   5. an address with a foreign state is refused.
// Environment: CALLBACK_TEST_URL (the second-origin copy of docs/callback.html), as tools/ui-flow.sh sets it.
const callbackUrl = process.env.CALLBACK_TEST_URL;
const HOSTED = 'https://homebridge-withings.github.io/homebridge-withings/callback.html';
const row = (name) => `.withings-profile[data-profile="${name}"]`;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const expectTrue = (ok, what) => {
  if (!ok) {throw new Error(what);}
};

export default async function steps({ frame, page, shot, log, waitForFrameText, saveSettings, readConfig }) {
  if (!callbackUrl) {throw new Error('CALLBACK_TEST_URL is not set');}
  const callbackOrigin = new URL(callbackUrl).origin;
  const context = page.context();
  await waitForFrameText('#withings-status', /^ready$/);

  // 0. Settings the plugin would refuse are listed before saving, and Save is disabled meanwhile.
  const save = page.locator('.modal.show .modal-footer button', { hasText: /^\s*Save\s*$/i });
  await page.fill('input[name="client_id"]', '');
  const profileInputs = page.locator('.schema-form-array', { hasText: 'Profile name' }).first().locator('input');
  await profileInputs.nth(1).fill('alice');
  const errors = await waitForFrameText('#withings-config-errors', /client_id.*missing[\s\S]*"profiles" lists "alice" twice/);
  log(`  refused settings: ${errors.replace(/\n/g, ' | ')}`);
  const canDisable = await frame.evaluate(() => typeof window.homebridge.disableSaveButton === 'function');
  log(`  Config UI X ${canDisable ? 'can' : 'cannot'} disable Save (plugin-ui-utils ${canDisable ? '2' : '1'}.x in the page)`);
  expectTrue(!canDisable || await save.isDisabled(), 'Save is disabled while the settings are invalid');
  await frame.locator('#withings-config-errors').scrollIntoViewIfNeeded();
  await shot('settings-refused-save-disabled');
  await page.fill('input[name="client_id"]', 'demo-client');
  await profileInputs.nth(1).fill('Bob');
  await frame.locator('#withings-config-errors').waitFor({ state: 'hidden' });
  expectTrue(await save.isEnabled(), 'Save is enabled again once the settings are valid');

  // 1. The UI's own address (http, an IP address, port 8581-like): refused in words, hosted page offered.
  const verdict = await waitForFrameText('#withings-callback-verdict', /Withings will not accept this address/);
  log(`  verdict: ${verdict}`);
  expectTrue(/does not start with https:\/\/.*IP address.*port/.test(verdict), 'the verdict names the reasons');
  await shot('callback-refused-offer-hosted');
  await frame.click('.withings-use-hosted');
  await waitForFrameText('#withings-callback-url', new RegExp(`^${escapeRe(HOSTED)}$`));
  await waitForFrameText('#withings-callback-verdict', /^Withings accepts this address/);
  expectTrue(await page.inputValue('input[name="callback_url"]') === HOSTED, 'the form holds the hosted page');
  await shot('hosted-callback-chosen');

  // The test stands in for the hosted page with the same file on a second loopback origin.
  await page.fill('input[name="callback_url"]', callbackUrl);
  await waitForFrameText('#withings-callback-url', new RegExp(`^${escapeRe(callbackUrl)}$`));

  /** Opens the Withings window from the profile's button; `beforeAllow(popup)` runs on the consent page. */
  const throughWithings = async (name, userid, beforeAllow = async () => {}) => {
    const popupPromise = context.waitForEvent('page');
    await frame.click(`${row(name)} .withings-link`);
    const popup = await popupPromise;
    await popup.waitForURL((u) => u.searchParams.has('redirect_uri'), { timeout: 15000 }); // went through the callback page's setup first
    log(`  ${name}: consent page ${new URL(popup.url()).origin}, redirect_uri ${new URL(popup.url()).searchParams.get('redirect_uri')}`);
    await popup.locator(`[data-userid="${userid}"]`).check();
    await beforeAllow(popup);
    await shot(`${name.toLowerCase()}-consent`, popup);
    await popup.click('#allow');
    await popup.waitForURL((u) => u.searchParams.has('code'), { timeout: 15000 });
    return popup;
  };

  // 2. Popup: the callback page (other origin) hands code and state to the opener, no paste.
  const alice = await throughWithings('Alice', '1001001');
  expectTrue(new URL(alice.url()).origin === callbackOrigin, `redirected to ${alice.url()}`);
  await alice.locator('#title', { hasText: 'Done' }).waitFor({ timeout: 10000 });
  await shot('alice-callback-done', alice);
  log(`  Alice: ${await waitForFrameText(`${row('Alice')} .withings-state`, /linked · Withings user 1001001/, 20000)}`);
  await waitForFrameText(`${row('Alice')} .withings-message`, /^Linked to Withings user 1001001/);
  await shot('alice-linked-by-popup');
  await waitForFrameText('#withings-status', /^ready$/);
  await page.waitForTimeout(1500);
  expectTrue(/Linked to Withings user 1001001/.test(await frame.locator(`${row('Alice')} .withings-message`).innerText()), 'the green message stays after the re-render');

  // 3. Paste fallback: no opener (disowned on the consent page) and nothing remembered on the callback origin.
  const bob = await throughWithings('Bob', '1001002', async (popup) => {
    await popup.evaluate(() => { window.opener = null; });
    const other = await context.newPage();
    await other.goto(callbackUrl);
    await other.evaluate(() => window.localStorage.clear());
    await other.close();
  });
  await bob.locator('#copy-box').waitFor({ state: 'visible', timeout: 10000 });
  const copied = await bob.inputValue('#address');
  expectTrue(copied === bob.url() && /state=/.test(copied), 'the copy box shows the whole address');
  await shot('bob-callback-copy-box', bob);
  await bob.close();
  await frame.fill(`${row('Bob')} .withings-paste-input`, copied);
  await shot('bob-address-pasted');
  await frame.click(`${row('Bob')} .withings-finish`);
  log(`  Bob: ${await waitForFrameText(`${row('Bob')} .withings-state`, /linked · Withings user 1001002/, 20000)}`);
  await waitForFrameText('#withings-status', /^ready$/);
  await shot('both-linked');

  // 4. No opener, but this attempt's Homebridge UI was remembered: forwarded, handed over on its channel.
  const again = await throughWithings('Alice', '1001001', async (popup) => {
    await popup.evaluate(() => { window.opener = null; });
  });
  await again.waitForURL((u) => u.pathname.endsWith('/api/plugins/settings-ui/homebridge-withings/callback.html'), { timeout: 10000 });
  log(`  Alice again: forwarded to ${new URL(again.url()).origin}${new URL(again.url()).pathname}`);
  await again.locator('#title', { hasText: 'Done' }).waitFor({ timeout: 10000 });
  await waitForFrameText(`${row('Alice')} .withings-message`, /^Linked to Withings user 1001001/, 20000);
  await shot('alice-relinked-by-forward');
  await waitForFrameText('#withings-status', /^ready$/);

  // 5. The state check: an address with a foreign state is refused.
  const popupPromise = context.waitForEvent('page');
  await frame.click(`${row('Bob')} .withings-link`);
  (await popupPromise).close();
  await frame.fill(`${row('Bob')} .withings-paste-input`, `${callbackUrl}?code=0123456789abcdef&state=${'ab'.repeat(24)}`);
  await frame.click(`${row('Bob')} .withings-finish`);
  log(`  foreign state: ${await waitForFrameText(`${row('Bob')} .withings-message`, /belongs to another link attempt/)}`);
  await frame.fill(`${row('Bob')} .withings-paste-input`, `${callbackUrl}?code=0123456789abcdef`);
  await frame.click(`${row('Bob')} .withings-finish`);
  log(`  no state: ${await waitForFrameText(`${row('Bob')} .withings-message`, /has no "state="/)}`);
  await shot('foreign-state-refused');
  await frame.fill(`${row('Bob')} .withings-paste-input`, '');

  await saveSettings();
  await page.waitForTimeout(1500);
  const block = readConfig().platforms.find((p) => p.platform === 'Withings');
  expectTrue(block.callback_url === callbackUrl, `saved callback_url ${block.callback_url}`);
  log(`  config.json: callback_url ${block.callback_url}`);
}
