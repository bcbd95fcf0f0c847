/**
 * What Homebridge's loader and the Verified criteria check in package.json and config.schema.json,
 * and that the catalog-generated documentation is up to date.
 */
import { readFileSync } from 'node:fs';

import { METRIC_KEYS } from '../src/metrics/catalog.js';
import { mappingTable, measurementsTable, schemaFragments } from '../src/metrics/docs.js';
import { PLATFORM_NAME, PLUGIN_NAME } from '../src/settings.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const schema = JSON.parse(readFileSync('config.schema.json', 'utf8'));
const readme = readFileSync('README.md', 'utf8');

describe('package.json', () => {
  test('passes the Homebridge loader checks', () => {
    expect(pkg.name).toBe(PLUGIN_NAME);
    expect(pkg.name).toMatch(/^homebridge-/);
    expect(pkg.keywords).toContain('homebridge-plugin');
    expect(pkg.engines.homebridge).toBe('^1.8.0 || ^2.0.0');
    expect(pkg.type).toBe('module');
    expect(pkg.main).toBe('dist/index.js');
  });

  test('declares Node 20, 22 and 24', () => {
    for (const major of ['^20', '^22', '^24']) {
      expect(pkg.engines.node).toContain(major);
    }
  });

  test('keeps Homebridge and HAP out of the runtime dependencies, and has no install scripts', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@homebridge/plugin-ui-utils', 'axios']);
    for (const name of ['homebridge', 'hap-nodejs', '@homebridge/hap-nodejs']) {
      expect(pkg.dependencies[name]).toBeUndefined();
    }
    expect(pkg.devDependencies.homebridge).toBeDefined();
    for (const script of ['preinstall', 'install', 'postinstall']) {
      expect(pkg.scripts[script]).toBeUndefined();
    }
    expect(pkg.scripts.prepublishOnly).toBe('npm run lint && npm run build && npm test');
    // `npm pack` on a fresh clone builds first, so the package holds dist/ (it packed none before).
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  test('ships only the build, the schema and the docs', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['config.schema.json', 'README.md']));
    expect(pkg.files.every((f: string) => /^(dist\/|config\.schema\.json|README\.md|LICENSE)/.test(f))).toBe(true);
  });
});

describe('config.schema.json', () => {
  test('declares the platform with a custom UI and strict validation', () => {
    expect(schema).toMatchObject({ pluginAlias: PLATFORM_NAME, pluginType: 'platform', singular: true, customUi: true, strictValidation: true });
    expect(schema.customUiPath).toBe('./dist/homebridge-ui');
  });

  test('keeps the Home Assistant key names and requires the three seed keys', () => {
    const props = schema.schema.properties;
    for (const key of ['client_id', 'client_secret', 'profiles', 'base_url', 'measurements', 'update_interval']) {
      expect(props[key]).toBeDefined();
    }
    expect(props.client_id.required).toBe(true);
    expect(props.client_secret.required).toBe(true);
    expect(props.profiles).toMatchObject({ required: true, minItems: 1, uniqueItems: true });
    expect(props.update_interval).toMatchObject({ type: 'integer', default: 300, minimum: 30 });
    expect(props.notifications.properties.port).toMatchObject({ type: 'integer', default: 8582 });
    expect(props.notifications.properties.url.type).toBe('string');
  });

  test('lists the 61 measurement keys (the 30 seed keys, the 30 of issue 14 and in_bed) with human titles, generated from the catalog', () => {
    const f = schemaFragments();
    expect(schema.schema.properties.measurements.items.enum).toEqual(METRIC_KEYS);
    expect(METRIC_KEYS).toHaveLength(61);
    expect(METRIC_KEYS).toContain('in_bed');
    const layoutItem = JSON.stringify(schema.layout);
    for (const t of f.titleMap) {
      expect(layoutItem).toContain(JSON.stringify(t));
    }
    expect(schema.schema.properties.alerts.items.properties.measurement.enum).toEqual(f.alertKeys);
  });
});

describe('README', () => {
  test('has the catalog tables as generated (npm run generate)', () => {
    expect(readme).toContain(measurementsTable());
    expect(readme).toContain(mappingTable());
  });
});
