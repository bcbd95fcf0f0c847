/**
 * Documentation generated from the metric catalog (the schema's measurement titles and the
 * README tables), so that neither can drift from the code. `npm run generate` writes them; a test
 * fails when they are out of date.
 */
import { GROUP_LABELS, METRICS, type MetricDefinition } from './catalog.js';

/** "Weight (kg)": the title of a measurement in the settings UI. */
export const metricTitle = (m: MetricDefinition): string => `${m.label}${m.unit ? ` (${m.unit})` : ''}`;

export interface SchemaFragments {
  readonly measurementKeys: string[];
  readonly titleMap: { value: string; name: string }[];
  /** Keys usable in threshold alerts (numeric measurements). */
  readonly alertKeys: string[];
}

export function schemaFragments(metrics: readonly MetricDefinition[] = METRICS): SchemaFragments {
  return {
    measurementKeys: metrics.map((m) => m.key),
    titleMap: metrics.map((m) => ({ value: m.key, name: `${metricTitle(m)} — ${m.key}` })),
    alertKeys: metrics.filter((m) => m.source.kind !== 'sleep-state' && m.source.kind !== 'bed-presence').map((m) => m.key),
  };
}

function source(m: MetricDefinition): string {
  switch (m.source.kind) {
    case 'measure':
      return `getmeas type ${m.source.measureType}`;
    case 'summary': {
      const how = m.source.aggregate === 'longest-night' ? 'the night with the most sleep time since noon yesterday' : `${m.source.aggregate.replace('-', ' ')} over the nights since noon yesterday`;
      return `sleep summary \`${m.source.fields.join('` / `')}\`${m.source.scale ? ` × ${m.source.scale}` : ''} (${how}; \`-1\` = no value)`;
    }
    case 'sleep-state':
      return 'sleep stages of the last 6 h: state of the latest segment';
    case 'bed-presence':
      return 'notifications only (appli 50 in bed, 51 out of bed); needs `notifications`, see [Notifications](#notifications)';
    case 'activity':
      return `getactivity \`${m.source.field}\` of today's row (profile's time zone; 0 from local midnight until today's row arrives)`;
    case 'bmi':
      return 'latest weight (type 1) / latest height (type 4)²; needs both; measured at the weight\'s time';
    case 'goal':
      return `getgoals \`${m.source.goal}\` (read hourly)`;
  }
}

function homeShows(m: MetricDefinition): string {
  switch (m.homekit) {
    case 'LightSensor':
      return m.homekitShows
        ? `Light sensor: the value in ${m.homekitShows.unit} as lux (1.68 m → 168 lx)`
        : 'Light sensor: the value as lux (72.5 kg → 72.5 lx)';
    case 'TemperatureSensor':
      return 'Temperature sensor (°C, converted to °F by iOS if you use °F)';
    case 'HumiditySensor':
      return 'Humidity sensor: the value as % humidity';
    case 'OccupancySensor':
      return m.source.kind === 'bed-presence'
        ? 'Occupancy sensor: "detected" from getting into bed until getting out (the sleep mat\'s event, within seconds)'
        : 'Occupancy sensor: "detected" while asleep (light, deep or REM)';
  }
}

function automation(m: MetricDefinition): string {
  switch (m.homekit) {
    case 'LightSensor':
      return m.homekitShows
        ? `"Light level rises above / drops below" a value in ${m.homekitShows.unit}`
        : '"Light level rises above / drops below" a value in the key\'s unit';
    case 'TemperatureSensor':
      return '"Temperature rises above / drops below"';
    case 'HumiditySensor':
      return '"Humidity rises above / drops below"';
    case 'OccupancySensor':
      return m.source.kind === 'bed-presence'
        ? '"Detects occupancy" = got into bed, "Stops detecting" = got out of bed'
        : '"Detects occupancy" = fell asleep, "Stops detecting" = woke up';
  }
}

/** The measurement list of the README: key, what it is, unit, source. */
export function measurementsTable(metrics: readonly MetricDefinition[] = METRICS): string {
  const rows = metrics.map((m) => `| \`${m.key}\` | ${m.label} | ${m.unit || '—'} | ${source(m)} |`);
  return ['| key | measurement | unit | Withings source and rule |', '|---|---|---|---|', ...rows].join('\n');
}

/** The HomeKit mapping table of the README: key → accessory, service, what Home shows, automations. */
export function mappingTable(metrics: readonly MetricDefinition[] = METRICS): string {
  const rows = metrics.map((m) =>
    `| \`${m.key}\` | <Profile> ${GROUP_LABELS[m.group]} | ${m.homekit} "<Profile> ${m.label}" | ${homeShows(m)} | ${automation(m)} | ${m.matter ?? '—'} |`);
  return [
    '| key | accessory | service | what Apple Home shows | automation trigger | Matter |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
