import type { Measured } from './compare.js';

/** One line of docs/benchmarks.md. */
export interface Row {
  /** The table it belongs to: `refresh`, `client_credentials`, `login`, `growth`. */
  group: string;
  label: string;
  alg: string | null;
  latchkey: Measured | null;
  peer: Measured | null;
  /** Latchkey / peer (or / limit), requests per second. */
  ratio: number | null;
  /** The same ratio round by round, to show the noise. */
  roundRatios: number[];
  target: { text: string; met: boolean | null } | null;
  /** Why there are no numbers yet (a feature not built); null when measured. */
  pending: string | null;
  notes: string[];
}

export function emptyRow(group: string, label: string, alg: string | null = null): Row {
  return { group, label, alg, latchkey: null, peer: null, ratio: null, roundRatios: [], target: null, pending: null, notes: [] };
}

/** Thrown by a subject's `prepare` when what it measures does not exist yet. */
export class Pending extends Error {}

export interface Benchmark {
  id: string;
  title: string;
  run(ctx: import('./context.js').BenchContext): Promise<Row[]>;
}

export function ratioOf(a: Measured, b: Measured): { ratio: number; roundRatios: number[] } {
  return {
    ratio: a.rps / b.rps,
    roundRatios: a.roundRps.map((rps, i) => rps / (b.roundRps[i] ?? NaN)),
  };
}
