/** What every benchmark gets: where things are, how long to measure, how loud to be. */
export interface BenchContext {
  root: string;
  /** Where run.js bundled the bench (server scripts are spawned from here). */
  build: string;
  /** A temp directory removed after the run. */
  tmp: string;
  /** Smoke mode: a few seconds in all, to prove the benchmark still runs (not how fast). */
  smoke: boolean;
  /** Virtual clients on the token endpoints. */
  clients: number;
  /** Virtual clients on the login endpoints (bounded by password hashing, so fewer). */
  loginClients: number;
  warmupMs: number;
  durationMs: number;
  /** Alternating rounds per comparison. */
  rounds: number;
  /** The Latchkey CLI to run (default packages/server/bin/latchkey.js; another build for an A/B). */
  latchkeyBin: string;
  /** Extra environment for every Latchkey process (experiments, e.g. LATCHKEY_LOG_LEVEL). */
  latchkeyEnv: Record<string, string>;
  /** Extra node flags for a server process by name (e.g. --cpu-prof for `latchkey`). */
  nodeArgs(server: string): string[];
  /** Only comparisons whose label (with the algorithm) contains this, when set. */
  filter: string | null;
  log(line: string): void;
}
