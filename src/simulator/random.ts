/**
 * Stateless seeded hashing. Every generated value is a pure function of (seed, a, b, c), so a
 * worker can be derived on demand in any order without storing it, and a run is reproducible.
 */

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit hash of up to four integers. */
export function hash32(seed: number, a: number, b = 0, c = 0): number {
  let h = fmix(seed ^ 0x9e3779b9);
  h = fmix((h + Math.imul(a | 0, 0xcc9e2d51)) | 0);
  h = fmix((h ^ Math.imul(b | 0, 0x1b873593)) | 0);
  h = fmix((h + Math.imul(c | 0, 0xe6546b64)) | 0);
  return h;
}

/** Uniform in [0, 1). */
export function unit(seed: number, a: number, b = 0, c = 0): number {
  return hash32(seed, a, b, c) / 4294967296;
}

/** Uniform integer in [0, n). */
export function pick(seed: number, n: number, a: number, b = 0, c = 0): number {
  return Math.floor(unit(seed, a, b, c) * n);
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

export function hex8(n: number): string {
  return HEX[(n >>> 24) & 255] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

/** A Workday ID (32 lowercase hex) for a named object, stable for a seed. */
export function wid(seed: number, kind: number, id: number): string {
  return (
    hex8(hash32(seed, kind, id, 1)) +
    hex8(hash32(seed, kind, id, 2)) +
    hex8(hash32(seed, kind, id, 3)) +
    hex8(hash32(seed, kind, id, 4))
  );
}

/** Small integer tags that keep the hash streams of different fields apart. */
export const Salt = {
  workerType: 1,
  gender: 2,
  first: 3,
  last: 4,
  preferred: 5,
  birth: 6,
  hire: 7,
  hireEntry: 8,
  term: 9,
  termEntry: 10,
  location: 11,
  job: 12,
  org: 13,
  salary: 14,
  phone: 15,
  street: 16,
  widTail: 17,
  hireWid: 18,
  marital: 19,
  apt: 20,
  homeMail: 21,
  churnKind: 30,
  churnTarget: 31,
  churnValue: 32,
  churnFuture: 33,
  latency: 40,
  fault: 41,
  objWid: 50,
} as const;
