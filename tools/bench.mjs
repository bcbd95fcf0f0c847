#!/usr/bin/env node
// Performance figures (printed, never asserted in tests). Run with `npm run bench` (builds first).
//  1. Parse + compute every value for the 2062-group measure recording and the 613-segment sleep
//     recording (plus 300 sleep summaries): median over repeated runs. Target: well under 20 ms.
//  2. With the simulator (tools/simulator): requests and bytes per profile per steady-state sync, and
//     the time from a new measurement to the HAP event at a client (see tools/bench-e2e.mjs).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const { METRICS, sourcesOf } = await import('../dist/metrics/catalog.js');
const { parseMeasurePage, parseSleepSegments, parseSleepSummaryPage } = await import('../dist/withings/types.js');
const { computeValues } = await import('../dist/metrics/values.js');

const text = (p) => readFileSync(new URL(`../test/fixtures/${p}`, import.meta.url), 'utf8');
const measuresJson = `{"status":0,"body":{"measuregrps":${text('aiowithings/measurement_list.json')},"timezone":"Europe/Amsterdam"}}`;
const sleepJson = text('aiowithings/sleep.json');
const summaryJson = text('aiowithings/sleep_summary.json');
const sources = sourcesOf(METRICS);

function once() {
  const measures = parseMeasurePage(JSON.parse(measuresJson).body);
  const segments = parseSleepSegments(JSON.parse(sleepJson).body);
  const summaries = parseSleepSummaryPage(JSON.parse(summaryJson).body);
  const lastSegment = Math.max(...segments.map((s) => s.enddate));
  return computeValues({ groups: measures.groups, summaries: summaries.series, segments, timezone: measures.timezone }, sources, lastSegment + 60);
}

function computeOnly(data, now) {
  return computeValues(data, sources, now);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

for (let i = 0; i < 20; i++) {once();} // warm-up
const runs = 200;
const full = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  once();
  full.push(performance.now() - t);
}
const data = (() => {
  const measures = parseMeasurePage(JSON.parse(measuresJson).body);
  const segments = parseSleepSegments(JSON.parse(sleepJson).body);
  const summaries = parseSleepSummaryPage(JSON.parse(summaryJson).body).series;
  return { groups: measures.groups, summaries, segments, timezone: measures.timezone, now: Math.max(...segments.map((s) => s.enddate)) + 60 };
})();
const compute = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  computeOnly(data, data.now);
  compute.push(performance.now() - t);
}
const values = once();
console.log(`value rules: ${data.groups.length} measure groups, ${data.segments.length} sleep segments, ${data.summaries.length} sleep summaries → ${values.size} values`);
console.log(`  parse + compute, median of ${runs}: ${median(full).toFixed(2)} ms (p90 ${[...full].sort((a, b) => a - b)[Math.floor(runs * 0.9)].toFixed(2)} ms)`);
console.log(`  compute only (per sync), median of ${runs}: ${median(compute).toFixed(2)} ms`);
console.log('  target: well under 20 ms per full computation');
