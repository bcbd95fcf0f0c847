// Steps hook for Config UI X acceptance runs (a `custom-ui-flow.mjs --steps` hook, see
// tools/ui-dashboard.sh): the dashboard of profiles the plugin has synced. Checks that each linked
// profile's card draws its charts (a canvas with pixels) and that each chart's aria-label names the
// latest value of the plugin's history file (the value the HomeKit sensor shows), then takes
// screenshots in the light and the dark theme.
// Environment: DASHBOARD_PROFILES "Alice:1001001,Bob:1001002"; STORAGE (set by the harness env file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const profiles = (process.env.DASHBOARD_PROFILES || 'Alice:1001001,Bob:1001002').split(',').map((p) => {
  const [name, userid] = p.split(':');
  return { name, userid };
});
const num = (v, d) => String(Number(v.toFixed(d)));

export default async function steps({ frame, page, shot, log, opts }) {
  const storage = opts.storage ?? process.env.STORAGE;
  const check = async (theme) => {
    await frame.waitForSelector('#withings-dashboard[data-state="ready"]', { timeout: 20_000 });
    await frame.waitForTimeout(800);
    for (const { name, userid } of profiles) {
      const card = frame.locator(`.withings-dashboard-card[data-profile="${name}"]`);
      const history = JSON.parse(readFileSync(join(storage, 'withings', `${userid}.history.json`), 'utf8'));
      const labels = await card.locator('[role="img"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      const drawn = await card.locator('canvas').evaluateAll((cs) => cs.map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) {if (d[i] > 0) {n++;}}
        return n;
      }));
      log(`${theme} ${name}: ${labels.length} charts, painted pixels ${drawn.join(',')}`);
      labels.forEach((l) => log(`  ${l}`));
      if (labels.length === 0 || drawn.some((n) => n < 500)) {throw new Error(`${name}: charts missing or blank`);}
      const latest = (key) => history.series[key]?.at(-1)?.[1];
      const w = latest('weight_kg');
      if (w !== undefined && !labels.some((l) => l.startsWith(`${name} weight, last 90 days: ${num(w, 2)} kg now`))) {throw new Error(`${name}: weight label does not say ${w} kg`);}
      const sys = latest('systolic_blood_pressure_mmhg');
      if (sys !== undefined && !labels.some((l) => l.includes(`blood pressure, last 90 days: ${Math.round(sys)}/`))) {throw new Error(`${name}: blood pressure label does not say ${sys}`);}
    }
    await shot(`dashboard-${theme}`);
    const box = await frame.locator('#withings-dashboard').elementHandle();
    await box.screenshot({ path: join(opts.out, `dashboard-${theme}-crop.png`) });
  };
  await check('light');
  // The range buttons redraw the weight chart.
  const first = frame.locator(`.withings-dashboard-card[data-profile="${profiles[0].name}"] .withings-ranges button[data-days="365"]`);
  if (await first.count()) {
    await first.click();
    const label = await frame.locator(`.withings-dashboard-card[data-profile="${profiles[0].name}"] .withings-chart-weight`).getAttribute('aria-label');
    log(`365 days: ${label}`);
    if (!label.includes('last 365 days')) {throw new Error('range buttons do not redraw');}
  }
  // Config UI X in "auto" lighting follows the system; the dashboard redraws when it changes.
  await frame.locator('#withings-dashboard').evaluate((e) => e.removeAttribute('data-state'));
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(1500);
  await check('dark');
}
