#!/usr/bin/env node
// Regenerates the catalog-driven parts of config.schema.json and README.md from the built catalog.
// Run `npm run build` first (it reads dist/). `--check` exits 1 instead of writing when out of date.
import { readFileSync, writeFileSync } from 'node:fs';

const { schemaFragments, measurementsTable, mappingTable } = await import('../dist/metrics/docs.js');
const check = process.argv.includes('--check');
let stale = false;

function update(file, next) {
  const before = readFileSync(file, 'utf8');
  if (before !== next) {
    stale = true;
    if (!check) {
      writeFileSync(file, next);
      console.log(`updated ${file}`);
    }
  }
}

const schema = JSON.parse(readFileSync('config.schema.json', 'utf8'));
const f = schemaFragments();
const m = schema.schema.properties.measurements;
m.items.enum = f.measurementKeys;
m.default = f.measurementKeys;
schema.schema.properties.alerts.items.properties.measurement.enum = f.alertKeys;
const walk = (items) => items.forEach((item) => {
  if (item && typeof item === 'object') {
    if (item.key === 'measurements') {
      item.titleMap = f.titleMap;
    }
    if (Array.isArray(item.items)) {
      walk(item.items);
    }
  }
});
walk(schema.layout);
update('config.schema.json', `${JSON.stringify(schema, null, 2)}\n`);

const readme = readFileSync('README.md', 'utf8');
const replace = (text, name, body) => text.replace(
  new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`),
  (_, a, b) => `${a}${body}\n${b}`,
);
update('README.md', replace(replace(readme, 'measurements', measurementsTable()), 'mapping', mappingTable()));

if (check && stale) {
  console.error('config.schema.json or README.md is out of date: run npm run build && npm run generate');
  process.exit(1);
}
