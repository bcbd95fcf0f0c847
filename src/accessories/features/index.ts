/**
 * Every feature a profile's accessories can have, in the order they run. A new feature is one
 * file in this folder and one line here.
 */
import type { FeatureContext, FeatureFactory, GroupFeature } from '../feature.js';
import { AlertSensors } from './alerts.js';
import { GoalSensors } from './goals.js';
import { MatterSensors } from './matter.js';
import { ReadingEvents } from './reading-events.js';
import { PLATFORM_NAME, PLUGIN_NAME } from '../../settings.js';

export const FEATURES: readonly FeatureFactory[] = [
  (ctx) => new ReadingEvents(ctx.hap, ctx.metrics, ctx.readingEvents, ctx.log),
  (ctx) => new AlertSensors(ctx.hap, ctx.alerts),
  (ctx) => new GoalSensors(ctx.hap, ctx.metrics),
  (ctx) => ctx.matter && new MatterSensors(ctx.matter, { plugin: PLUGIN_NAME, platform: PLATFORM_NAME }, ctx.metrics, ctx.log, ctx.nowSeconds, ctx.version),
];

export function createFeatures(ctx: FeatureContext): GroupFeature[] {
  return FEATURES.map((make) => make(ctx)).filter((f): f is GroupFeature => f !== undefined);
}
