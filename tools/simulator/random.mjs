// @ts-check
// Deterministic randomness for the demo data: the same seed and start instant give the same data.

// Builtins bound once: global lookups are slow when the module runs inside a vm context (jest).
const { imul, floor } = Math;

/**
 * mulberry32: a small, fast, seedable PRNG returning floats in [0, 1).
 * @param {number} seed
 * @returns {() => number}
 */
export function prng(seed) {
  let a = (Number(seed) >>> 0) || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * FNV-1a over a string: a stable 32-bit hash for per-item decisions.
 * @param {string | number} text
 * @returns {number}
 */
export function hash32(text) {
  let h = 0x811c9dc5;
  const s = `${text}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so that neighbouring inputs give unrelated outputs.
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * A stable 32-bit hash of a few 32-bit integers (the hot path of the per-minute signals).
 * @param {number} a
 * @param {number} b
 * @param {number} c
 * @returns {number}
 */
export function hashInts(a, b, c) {
  let h = imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * An integer in [lo, hi].
 * @param {() => number} rand
 * @param {number} lo
 * @param {number} hi
 */
export const int = (rand, lo, hi) => lo + floor(rand() * (hi - lo + 1));

/**
 * 40 hex digits, the shape of a Withings device id.
 * @param {() => number} rand
 */
export const hex40 = (rand) => Array.from({ length: 40 }, () => '0123456789abcdef'[floor(rand() * 16)]).join('');
