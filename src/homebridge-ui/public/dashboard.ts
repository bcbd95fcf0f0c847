/**
 * The dashboard above the settings: one card per linked profile with its latest values and trend
 * charts (weight and fat ratio, blood pressure and pulse, the last 14 nights, steps), drawn with
 * Chart.js from the history the plugin keeps. Its own script (dashboard.js) so that the linking
 * part of the page stays light; it asks the UI server only for `/history` (never Withings).
 *
 * Each chart is an element with role="img" and an aria-label saying what the picture shows, and
 * each card ends with the same sentences as text, for screen readers and tests.
 */
import type { IHomebridgePluginUi, PluginConfig } from '@homebridge/plugin-ui-utils/ui.interface';
import {
  BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';

import type { HistoryReply, HistorySeries, ProfileHistory } from '../contract.js';
import { el, homebridge, request } from './parts/host.js';

Chart.register(LineController, BarController, LineElement, PointElement, BarElement, LinearScale, CategoryScale, Tooltip, Legend);

const DAY = 86_400;
const RANGES = [30, 90, 365] as const;

// ---------------------------------------------------------------------------------------------
// Words and numbers

/** A value as the sensor shows it: the row's decimals, no trailing zeros. */
export const num = (v: number, decimals: number): string => String(Number(v.toFixed(decimals)));

/** Seconds as "7 h 12 min" (sleep). */
export function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? (m > 0 ? `${h} h ${m} min` : `${h} h`) : `${m} min`;
}

/** A value with its unit: durations in hours and minutes, counts as plain numbers. */
export function withUnit(s: Pick<HistorySeries, 'unit' | 'decimals'>, v: number): string {
  if (s.unit === 's') {
    return duration(v);
  }
  if (s.unit === '' || s.unit === 'count' || s.unit === 'steps') {
    return Math.round(v).toLocaleString('en-US');
  }
  return s.unit === '%' ? `${num(v, s.decimals)} %` : `${num(v, s.decimals)} ${s.unit}`;
}

/** "measured 3 h ago" */
export function ago(t: number, now: number): string {
  const s = Math.max(0, now - t);
  if (s < 90) {
    return 'measured just now';
  }
  if (s < 3600) {
    return `measured ${Math.round(s / 60)} min ago`;
  }
  if (s < 2 * DAY) {
    return `measured ${Math.round(s / 3600)} h ago`;
  }
  return `measured ${Math.round(s / DAY)} days ago`;
}

const dayLabel = (t: number, timeZone: string): string => new Date(t * 1000).toLocaleDateString(undefined, { timeZone, month: 'short', day: 'numeric' });

// ---------------------------------------------------------------------------------------------
// Theme

interface Theme {
  readonly text: string;
  readonly grid: string;
  readonly colors: Readonly<Record<string, string>>;
}

/** Colours legible on Config UI X's light and dark backgrounds. */
function theme(mode: 'light' | 'dark'): Theme {
  return mode === 'dark'
    ? { text: '#e6e6e6', grid: 'rgba(255,255,255,0.14)', colors: { weight: '#5fb4ff', fat: '#ffb454', sys: '#ff6b81', dia: '#5fb4ff', pulse: '#b7e36b', deep: '#4f6df5', light: '#7ab8ff', rem: '#c77dff', awake: '#ffb454', score: '#e6e6e6', steps: '#47d18c' } }
    : { text: '#333333', grid: 'rgba(0,0,0,0.10)', colors: { weight: '#0a6ed1', fat: '#d9730d', sys: '#c9184a', dia: '#0a6ed1', pulse: '#3f8f29', deep: '#233dbf', light: '#5c9ded', rem: '#8e44ad', awake: '#e59a2e', score: '#333333', steps: '#198754' } };
}

/** The UI's light or dark mode: the plugin-ui-utils call (Config UI X 5.x), else the page's own hints (4.x). */
async function lightingMode(): Promise<'light' | 'dark'> {
  try {
    const mode = await (homebridge as Partial<IHomebridgePluginUi>).userCurrentLightingMode?.();
    if (mode === 'light' || mode === 'dark') {
      return mode;
    }
  } catch {
    // older Config UI X: fall through
  }
  if (document.body.classList.contains('dark-mode') || document.documentElement.getAttribute('data-bs-theme') === 'dark') {
    return 'dark';
  }
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// ---------------------------------------------------------------------------------------------
// Charts

const charts: Chart[] = [];

function chartBox(label: string, config: ChartConfiguration, t: Theme, className = ''): HTMLElement {
  const canvas = el('canvas', { 'aria-hidden': 'true' });
  const box = el('div', { class: `withings-chart ${className}`.trim(), role: 'img', 'aria-label': label }, canvas);
  const options = config.options ?? {};
  config.options = {
    ...options,
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    color: t.text,
    plugins: { legend: { labels: { color: t.text, boxWidth: 12 } }, ...options.plugins },
  };
  for (const scale of Object.values(config.options.scales ?? {}) as { ticks?: object; grid?: object; title?: { color?: string } }[]) {
    scale.ticks = { color: t.text, ...scale.ticks };
    scale.grid = { color: t.grid, ...scale.grid };
    if (scale.title) {
      scale.title.color = t.text;
    }
  }
  // Drawn once the box is in the page (Chart.js measures its container).
  queueMicrotask(() => charts.push(new Chart(canvas, config)));
  return box;
}

const points = (s: HistorySeries | undefined, from: number): { x: number; y: number }[] =>
  (s?.points ?? []).filter(([t]) => t >= from).map(([t, v]) => ({ x: t * 1000, y: v }));

function timeAxis(from: number, now: number, timeZone: string): object {
  return {
    type: 'linear', min: from * 1000, max: now * 1000,
    ticks: { maxTicksLimit: 6, callback: (v: number | string) => dayLabel(Number(v) / 1000, timeZone) },
  };
}

const range = (s: HistorySeries, from: number): { min: number; max: number } | undefined => {
  const vs = s.points.filter(([t]) => t >= from).map(([, v]) => v);
  return vs.length > 0 ? { min: Math.min(...vs), max: Math.max(...vs) } : undefined;
};
const latest = (s: HistorySeries): readonly [number, number] => s.points[s.points.length - 1];

/** "Alice weight, last 90 days: 72.4 kg now, from 74.1 to 72.1 kg" (highest to lowest in the window). */
export function weightLabel(name: string, weight: HistorySeries, fat: HistorySeries | undefined, days: number, now: number): string {
  const from = now - days * DAY;
  const r = range(weight, from);
  let text = `${name} weight, last ${days} days: ${withUnit(weight, latest(weight)[1])} now`;
  if (r) {
    text += `, from ${num(r.max, weight.decimals)} to ${num(r.min, weight.decimals)} ${weight.unit}`;
  }
  if (fat) {
    text += `; fat ratio ${withUnit(fat, latest(fat)[1])} now`;
  }
  return text;
}

function weightChart(p: ProfileHistory, by: Map<string, HistorySeries>, now: number, t: Theme): HTMLElement | undefined {
  const weight = by.get('weight_kg');
  if (!weight) {
    return undefined;
  }
  const fat = by.get('fat_ratio_pct');
  const tz = p.timezone ?? 'UTC';
  const wrap = el('div', { class: 'withings-chart-block' });
  const buttons = el('div', { class: 'btn-group btn-group-sm withings-ranges', role: 'group', 'aria-label': `${p.name} weight range` });
  const draw = (days: number): void => {
    const from = now - days * DAY;
    const config: ChartConfiguration = {
      type: 'line',
      data: {
        datasets: [
          { label: 'Weight (kg)', data: points(weight, from), borderColor: t.colors.weight, backgroundColor: t.colors.weight, yAxisID: 'y', pointRadius: 2, tension: 0.2 },
          ...(fat ? [{ label: 'Fat ratio (%)', data: points(fat, from), borderColor: t.colors.fat, backgroundColor: t.colors.fat, yAxisID: 'y1', pointRadius: 2, tension: 0.2 }] : []),
        ],
      },
      options: {
        scales: {
          x: timeAxis(from, now, tz),
          y: { position: 'left', title: { display: true, text: 'kg' } },
          ...(fat ? { y1: { position: 'right', title: { display: true, text: '%' }, grid: { drawOnChartArea: false } } } : {}),
        },
      } as ChartConfiguration['options'],
    };
    wrap.querySelector('.withings-chart')?.remove();
    const old = charts.findIndex((c) => c.canvas.closest('.withings-chart-block') === wrap);
    if (old >= 0) {
      charts[old].destroy();
      charts.splice(old, 1);
    }
    wrap.append(chartBox(weightLabel(p.name, weight, fat, days, now), config, t, 'withings-chart-weight'));
    for (const b of buttons.querySelectorAll('button')) {
      const on = b.dataset.days === String(days);
      b.className = `btn ${on ? 'btn-primary' : 'btn-outline-secondary'}`;
      b.setAttribute('aria-pressed', String(on));
    }
  };
  for (const days of RANGES) {
    const b = el('button', { type: 'button', 'data-days': String(days), text: `${days} days` });
    b.addEventListener('click', () => draw(days));
    buttons.append(b);
  }
  wrap.append(el('div', { class: 'withings-chart-head' }, el('strong', { text: 'Weight' }), buttons));
  draw(90);
  return wrap;
}

export function pressureLabel(name: string, sys: HistorySeries, dia: HistorySeries | undefined, pulse: HistorySeries | undefined, now: number): string {
  const r = range(sys, now - 90 * DAY);
  let text = `${name} blood pressure, last 90 days: ${num(latest(sys)[1], 0)}${dia ? `/${num(latest(dia)[1], 0)}` : ''} mmHg now`;
  if (pulse) {
    text += `, pulse ${withUnit(pulse, latest(pulse)[1])}`;
  }
  if (r) {
    text += `; systolic from ${num(r.max, 0)} to ${num(r.min, 0)} mmHg`;
  }
  return text;
}

function pressureChart(p: ProfileHistory, by: Map<string, HistorySeries>, now: number, t: Theme): HTMLElement | undefined {
  const sys = by.get('systolic_blood_pressure_mmhg');
  if (!sys) {
    return undefined;
  }
  const dia = by.get('diastolic_blood_pressure_mmhg');
  const pulse = by.get('heart_pulse_bpm');
  const from = now - 90 * DAY;
  const line = (label: string, s: HistorySeries | undefined, color: string, axis: string): object[] =>
    s ? [{ label, data: points(s, from), borderColor: color, backgroundColor: color, yAxisID: axis, pointRadius: 2, tension: 0.2 }] : [];
  const config: ChartConfiguration = {
    type: 'line',
    data: { datasets: [...line('Systolic (mmHg)', sys, t.colors.sys, 'y'), ...line('Diastolic (mmHg)', dia, t.colors.dia, 'y'), ...line('Pulse (bpm)', pulse, t.colors.pulse, 'y1')] } as ChartConfiguration['data'],
    options: {
      scales: {
        x: timeAxis(from, now, p.timezone ?? 'UTC'),
        y: { position: 'left', title: { display: true, text: 'mmHg' } },
        ...(pulse ? { y1: { position: 'right', title: { display: true, text: 'bpm' }, grid: { drawOnChartArea: false } } } : {}),
      },
    } as ChartConfiguration['options'],
  };
  return el('div', { class: 'withings-chart-block' }, el('strong', { text: 'Blood pressure' }), chartBox(pressureLabel(p.name, sys, dia, pulse, now), config, t, 'withings-chart-pressure'));
}

const SLEEP_STAGES = [
  { key: 'sleep_deep_duration_seconds', label: 'Deep', color: 'deep' },
  { key: 'sleep_light_duration_seconds', label: 'Light', color: 'light' },
  { key: 'sleep_rem_duration_seconds', label: 'REM', color: 'rem' },
  { key: 'sleep_wakeup_duration_seconds', label: 'Awake', color: 'awake' },
] as const;

/** The nights of the last 14 days, by day: stage → seconds. */
function nights(by: Map<string, HistorySeries>, now: number, timeZone: string): { day: string; t: number; stages: Map<string, number>; score?: number }[] {
  const from = now - 14 * DAY;
  const days = new Map<string, { day: string; t: number; stages: Map<string, number>; score?: number }>();
  const at = (t: number) => {
    const day = dayLabel(t, timeZone);
    let n = days.get(day);
    if (!n) {
      n = { day, t, stages: new Map() };
      days.set(day, n);
    }
    n.t = Math.max(n.t, t);
    return n;
  };
  for (const stage of SLEEP_STAGES) {
    for (const [t, v] of by.get(stage.key)?.points ?? []) {
      if (t >= from) {
        at(t).stages.set(stage.key, v);
      }
    }
  }
  for (const [t, v] of by.get('sleep_score')?.points ?? []) {
    if (t >= from) {
      at(t).score = v;
    }
  }
  return [...days.values()].sort((a, b) => a.t - b.t);
}

const asleep = (n: { stages: Map<string, number> }): number =>
  ['sleep_deep_duration_seconds', 'sleep_light_duration_seconds', 'sleep_rem_duration_seconds'].reduce((sum, k) => sum + (n.stages.get(k) ?? 0), 0);

export function sleepLabel(name: string, list: ReturnType<typeof nights>): string {
  const last = list[list.length - 1];
  const parts = SLEEP_STAGES.filter((s) => last.stages.has(s.key)).map((s) => `${s.label.toLowerCase()} ${duration(last.stages.get(s.key)!)}`);
  const avg = list.reduce((sum, n) => sum + asleep(n), 0) / list.length;
  let text = `${name} sleep, last 14 days (${list.length} night${list.length === 1 ? '' : 's'}): last night ${duration(asleep(last))} asleep (${parts.join(', ')})`;
  if (last.score !== undefined) {
    text += `, sleep score ${Math.round(last.score)}`;
  }
  return `${text}; ${duration(avg)} asleep on average`;
}

function sleepChart(p: ProfileHistory, by: Map<string, HistorySeries>, now: number, t: Theme): HTMLElement | undefined {
  const list = nights(by, now, p.timezone ?? 'UTC');
  if (list.length === 0 || !SLEEP_STAGES.some((s) => by.has(s.key))) {
    return undefined;
  }
  const hasScore = list.some((n) => n.score !== undefined);
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: list.map((n) => n.day),
      datasets: [
        ...SLEEP_STAGES.filter((s) => by.has(s.key)).map((s) => ({
          type: 'bar' as const, label: s.label, data: list.map((n) => (n.stages.get(s.key) ?? 0) / 3600), backgroundColor: t.colors[s.color], stack: 'night', yAxisID: 'y',
        })),
        ...(hasScore ? [{ type: 'line' as const, label: 'Sleep score', data: list.map((n) => n.score ?? null), borderColor: t.colors.score, backgroundColor: t.colors.score, yAxisID: 'y1', pointRadius: 3 }] : []),
      ],
    } as ChartConfiguration['data'],
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, title: { display: true, text: 'hours' } },
        ...(hasScore ? { y1: { position: 'right', min: 0, max: 100, title: { display: true, text: 'score' }, grid: { drawOnChartArea: false } } } : {}),
      },
      plugins: { tooltip: { callbacks: { label: (c: { dataset: { label?: string; yAxisID?: string }; parsed: { y: number } }) => `${c.dataset.label}: ${c.dataset.yAxisID === 'y1' ? c.parsed.y : duration(c.parsed.y * 3600)}` } } },
    } as ChartConfiguration['options'],
  };
  return el('div', { class: 'withings-chart-block' }, el('strong', { text: 'Sleep' }), chartBox(sleepLabel(p.name, list), config, t, 'withings-chart-sleep'));
}

export function stepsLabel(name: string, steps: HistorySeries, now: number): string {
  const recent = steps.points.filter(([t]) => t >= now - 30 * DAY);
  const avg = recent.reduce((s, [, v]) => s + v, 0) / Math.max(1, recent.length);
  return `${name} steps, last 30 days: ${withUnit(steps, latest(steps)[1])} on the latest day, ${withUnit(steps, avg)} a day on average`;
}

function stepsChart(p: ProfileHistory, by: Map<string, HistorySeries>, now: number, t: Theme): HTMLElement | undefined {
  const steps = by.get('steps_today');
  if (!steps || steps.points.length === 0) {
    return undefined;
  }
  const recent = steps.points.filter(([ts]) => ts >= now - 30 * DAY);
  const config: ChartConfiguration = {
    type: 'bar',
    data: { labels: recent.map(([ts]) => dayLabel(ts, p.timezone ?? 'UTC')), datasets: [{ label: 'Steps', data: recent.map(([, v]) => v), backgroundColor: t.colors.steps }] },
    options: { scales: { x: {}, y: { beginAtZero: true } }, plugins: { legend: { display: false } } } as ChartConfiguration['options'],
  };
  return el('div', { class: 'withings-chart-block' }, el('strong', { text: 'Steps' }), chartBox(stepsLabel(p.name, steps, now), config, t, 'withings-chart-steps'));
}

// ---------------------------------------------------------------------------------------------
// Cards

function card(p: ProfileHistory, now: number, t: Theme): HTMLElement {
  const body = el('div', { class: 'card-body' }, el('h6', { class: 'mb-2', text: p.name }));
  const box = el('section', { class: 'card withings-dashboard-card mb-2', 'data-profile': p.name, 'aria-label': `${p.name}: trends` }, body);
  if (p.series.length === 0) {
    body.append(el('p', { class: 'text-muted small mb-0 withings-no-history', text: 'No history yet: it fills in as the plugin syncs.' }));
    return box;
  }
  const by = new Map(p.series.map((s) => [s.key, s]));
  const values = el('ul', { class: 'withings-latest list-unstyled small mb-2' });
  for (const s of p.series) {
    const [at, v] = latest(s);
    values.append(el('li', { 'data-key': s.key }, el('span', { class: 'withings-latest-label', text: `${s.label}: ` }), el('strong', { text: withUnit(s, v) }), el('span', { class: 'text-muted', text: ` · ${ago(at, now)}` })));
  }
  const blocks = [weightChart(p, by, now, t), pressureChart(p, by, now, t), sleepChart(p, by, now, t), stepsChart(p, by, now, t)].filter((b): b is HTMLElement => b !== undefined);
  // Charts first; a long list of latest values (a watch, a sleep mat and a scale give dozens) folds away.
  const list = el('details', { class: 'withings-latest-values mb-2' }, el('summary', { class: 'small', text: `Latest values (${p.series.length})` }), values);
  if (p.series.length <= 12 || blocks.length === 0) {
    list.setAttribute('open', '');
  }
  body.append(el('div', { class: 'withings-charts' }, ...blocks), list);
  const sentences = blocks.map((b) => b.querySelector('.withings-chart')?.getAttribute('aria-label') ?? '').filter(Boolean);
  body.append(el('p', { class: 'small text-muted mb-0 withings-summary', text: sentences.length > 0 ? `${sentences.join('. ')}.` : `${p.name} has values but no chart kind yet.` }));
  return box;
}

let config: PluginConfig = { platform: 'Withings' };

function profiles(): string[] {
  const list = Array.isArray(config.profiles) ? config.profiles : [];
  return list.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
}

async function render(): Promise<void> {
  const root = document.getElementById('withings-dashboard');
  if (!root) {
    return;
  }
  let reply: HistoryReply;
  try {
    reply = await request('/history', { profiles: profiles(), measurements: config.measurements });
  } catch {
    root.replaceChildren(el('p', { class: 'text-muted small', text: 'No history yet.' }));
    return;
  }
  const t = theme(await lightingMode());
  charts.splice(0).forEach((c) => c.destroy());
  const shown = reply.profiles.filter((p) => p.userid !== undefined);
  root.hidden = shown.length === 0;
  root.replaceChildren(...(shown.length > 0 ? [el('h5', { class: 'mb-2', text: 'Trends' })] : []), ...shown.map((p) => card(p, reply.now, t)));
  root.dataset.state = 'ready';
  // After the charts were drawn (microtasks), let the iframe grow to the page.
  window.setTimeout(() => homebridge.fixScrollHeight(), 0);
}

homebridge.addEventListener('ready', () => {
  void (async () => {
    config = (await homebridge.getPluginConfig())[0] ?? config;
    await render();
    // Config UI X's "auto" lighting follows the system: redraw in the other theme when it changes.
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => void render());
    let timer: number | undefined;
    homebridge.addEventListener('configChanged', (e: Event) => {
      config = (e as MessageEvent<PluginConfig[]>).data?.[0] ?? config;
      clearTimeout(timer);
      timer = window.setTimeout(() => void render(), 500);
    });
  })().catch(() => undefined);
});
