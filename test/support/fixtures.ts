/** Reads a recorded Withings reply from test/fixtures (see its README for sources and licences). */
import { readFileSync } from 'node:fs';

const cache = new Map<string, unknown>();

export function fixture<T = unknown>(path: string): T {
  if (!cache.has(path)) {
    cache.set(path, JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')));
  }
  // Each caller gets its own copy: tests may change what they read.
  return structuredClone(cache.get(path)) as T;
}

/** The whole reply `{status: 0, body}` for a fixture stored as a body or a list inside body. */
export function reply(body: unknown): { status: 0; body: unknown } {
  return { status: 0, body };
}
