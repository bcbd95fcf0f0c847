// Steps hook for Config UI X acceptance runs: the threshold-alerts form round-trips (Config UI X 5.10
// and 4.57). Run with tools/ui-flow.sh and this config (one alert configured for Bob):
//   PLUGIN_CONFIG='{"platform":"Withings","client_id":"demo-client","client_secret":"demo-secret","profiles":["Alice","Bob"],
//     "alerts":[{"name":"Low SpO2","profile":"Bob","measurement":"spo2_pct","below":95}]}'
//   STEPS=test/ui/alerts-steps.mjs tools/ui-flow.sh
// Bob is linked (popup), the configured alert must show as ONE card with all five fields; it is edited,
// an alert is added, another added and deleted, the settings saved; config.json must hold exactly what
// the form showed and pass the plugin's own validation; after a Homebridge restart the plugin starts
// with that config and both alerts exist as contact sensors of Bob.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const row = (name) => `.withings-profile[data-profile="${name}"]`;
const expectTrue = (ok, what) => {
  if (!ok) {throw new Error(what);}
};

export default async function steps({ frame, page, shot, log, waitForFrameText, saveSettings, readConfig, authorizeInPopup, opts }) {
  await waitForFrameText('#withings-status', /^ready$/);
  // Bob linked (the plugin's own callback page, same origin): his alerts get contact sensors.
  await authorizeInPopup({
    open: () => frame.click(`${row('Bob')} .withings-link`),
    allow: async (popup) => {
      await popup.locator('[data-userid="1001002"]').check();
      await popup.click('#allow');
    },
    screenshots: false,
  });
  await waitForFrameText(`${row('Bob')} .withings-state`, /linked · Withings user 1001002/, 20000);
  await waitForFrameText('#withings-status', /^ready$/);

  await page.locator('legend, h3, h4, a, button, span', { hasText: /^\s*Automations\s*$/ }).first().click();
  const array = page.locator('.schema-form-array', { hasText: 'Threshold alerts' }).last();
  const cards = array.locator('.list-group-item');
  const fieldsOf = async (card) => ({
    name: await card.locator('input[name="name"]').inputValue(),
    profile: await card.locator('input[name="profile"]').inputValue(),
    measurement: (await card.locator('select[name="measurement"]').inputValue()).replace(/^\d+: /, ''),
    above: await card.locator('input[name="above"]').inputValue(),
    below: await card.locator('input[name="below"]').inputValue(),
  });
  await cards.first().waitFor({ timeout: 10000 });
  await cards.first().scrollIntoViewIfNeeded();
  await shot('alerts-as-configured');
  expectTrue(await cards.count() === 1, `one configured alert is drawn as ${await cards.count()} cards`);
  const first = await fieldsOf(cards.nth(0));
  log(`  card 1: ${JSON.stringify(first)}`);
  expectTrue(first.name === 'Low SpO2' && first.profile === 'Bob' && first.measurement === 'spo2_pct' && first.below === '95', 'the card shows every field of the alert');

  // Edit the configured alert.
  await cards.nth(0).locator('input[name="name"]').fill('Edited name');
  // Add one, fill it in.
  const add = array.locator('button', { hasText: /Add alert/i });
  await add.click();
  await expectCount(cards, 2);
  const second = cards.nth(1);
  await second.locator('input[name="name"]').fill('High weight');
  await second.locator('input[name="profile"]').fill('Bob');
  await second.locator('select[name="measurement"]').selectOption({ label: 'weight_kg' });
  await second.locator('input[name="above"]').fill('90');
  // Add another and delete it again.
  await add.click();
  await expectCount(cards, 3);
  await cards.nth(2).locator('input[name="name"]').fill('To be deleted');
  await shot('alerts-three-cards');
  await cards.nth(2).locator('button.btn-close, button.close').first().click();
  await expectCount(cards, 2);
  await page.waitForTimeout(600); // the form's change debounce
  await shot('alerts-edited');
  const shown = [await fieldsOf(cards.nth(0)), await fieldsOf(cards.nth(1))];
  log(`  form shows: ${JSON.stringify(shown)}`);

  await saveSettings();
  await page.waitForTimeout(2000);
  const block = readConfig().platforms.find((p) => p.platform === 'Withings');
  log(`  config.json alerts: ${JSON.stringify(block.alerts)}`);
  const want = [
    { name: 'Edited name', profile: 'Bob', measurement: 'spo2_pct', below: 95 },
    { name: 'High weight', profile: 'Bob', measurement: 'weight_kg', above: 90 },
  ];
  expectTrue(JSON.stringify(block.alerts.map(sorted)) === JSON.stringify(want.map(sorted)), 'config.json holds exactly the two alerts the form showed');
  const { parseConfig } = await import(join(process.cwd(), 'dist/platform/config.js'));
  const parsed = parseConfig(block);
  expectTrue(parsed.ok, `the plugin refuses the saved config: ${parsed.errors?.join('; ')}`);
  log('  the saved config passes the plugin\'s validation');

  // Restart Homebridge (as the UI's restart button does) and look at what the plugin did.
  const logFile = join(opts.storage, 'homebridge.log');
  const before = readFileSync(logFile, 'utf8').length;
  const login = await fetch(new URL('/api/auth/login', opts.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: opts.user, password: opts.password }),
  }).then((r) => r.json());
  const restart = await fetch(new URL('/api/server/restart', opts.url), { method: 'PUT', headers: { authorization: `Bearer ${login.access_token}` } });
  log(`  restart: HTTP ${restart.status}`);
  let after = '';
  for (let i = 0; i < 120 && !/Bob: linked to Withings user 1001002/.test(after); i++) {
    await page.waitForTimeout(500);
    after = readFileSync(logFile, 'utf8').slice(before);
  }
  const lines = after.split('\n').filter((l) => l.includes('[Withings]'));
  log(`  after the restart:\n    ${lines.join('\n    ')}`);
  expectTrue(!/Invalid configuration/.test(after), 'the plugin refused the config after the restart');
  expectTrue(/Bob: linked to Withings user 1001002/.test(after), 'the plugin did not sync Bob after the restart');
  let names = [];
  for (let i = 0; i < 40; i++) {
    try {
      const cache = JSON.parse(readFileSync(join(opts.storage, 'accessories', 'cachedAccessories'), 'utf8'));
      names = cache.flatMap((a) => a.services).filter((s) => s.UUID === '00000080-0000-1000-8000-0026BB765291')
        .map((s) => s.characteristics.find((c) => c.displayName === 'Name' || c.displayName === 'Configured Name')?.value);
    } catch { /* not written yet */ }
    if (names.length >= 2) {break;}
    await page.waitForTimeout(500);
  }
  log(`  contact sensors in the accessory cache: ${JSON.stringify(names)}`);
  expectTrue(names.some((n) => /Edited name/.test(n)) && names.some((n) => /High weight/.test(n)), 'both alerts are contact sensors of Bob');
}

async function expectCount(locator, n) {
  for (let i = 0; i < 40; i++) {
    if (await locator.count() === n) {return;}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${n} alert cards, saw ${await locator.count()}`);
}

function sorted(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
