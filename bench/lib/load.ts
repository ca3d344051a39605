import { performance } from 'node:perf_hooks';
import { Connection, type Response } from './http1.js';
import { quantile, sortedCopy } from './stats.js';

/**
 * A client with its own state: each request may depend on the last response (a refresh
 * token chain), which is why a generic load tool such as autocannon cannot drive it.
 */
export interface VirtualClient {
  /** The next request, as raw HTTP/1.1 bytes. */
  next(): string;
  /** Takes the response; returns why it failed, or null on success. */
  take(response: Response): string | null;
}

export interface LoadOptions {
  port: number;
  clients: VirtualClient[];
  /** Requests run but not counted, to warm up JIT, caches and connections. */
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  /** Requests including the warm-up (for CPU per request). */
  allRequests: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  rps: number;
  /** Milliseconds, one per counted request. */
  latencies: number[];
  p50: number;
  p99: number;
}

/**
 * Runs every client in a closed loop (one request in flight each) on its own keep-alive
 * connection for warmup + duration, and counts the requests that started inside the
 * measured window. A client whose request fails stops: its chain is broken.
 */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let allRequests = 0;

  await Promise.all(
    options.clients.map(async (client) => {
      const connection = new Connection('127.0.0.1', options.port);
      let measured = 0;
      try {
        for (;;) {
          const sent = performance.now();
          // Every client completes at least one measured request, so a slow endpoint
          // in a short (smoke) window still yields a number.
          if (sent >= end && measured > 0) return;
          let failure: string | null;
          try {
            failure = client.take(await connection.request(client.next()));
          } catch (error) {
            failure = error instanceof Error ? error.message : String(error);
          }
          if (failure !== null) {
            errors++;
            firstError ??= failure;
            return;
          }
          allRequests++;
          if (sent >= measureFrom) {
            latencies.push(performance.now() - sent);
            measured++;
          }
        }
      } finally {
        connection.close();
      }
    }),
  );
  const sorted = sortedCopy(latencies);
  const seconds = options.durationMs / 1000;
  return {
    requests: latencies.length,
    allRequests,
    errors,
    firstError,
    seconds,
    rps: latencies.length / seconds,
    latencies,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

/** Pools several runs of one side: total requests over total time, percentiles over all samples. */
export function pool(runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies);
  const sorted = sortedCopy(latencies);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  return {
    requests: latencies.length,
    allRequests: runs.reduce((s, r) => s + r.allRequests, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    firstError: runs.find((r) => r.firstError)?.firstError ?? null,
    seconds,
    rps: latencies.length / seconds,
    latencies,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

/** `"refresh_token":"..."` without parsing the whole body (the driver's CPU is the server's too). */
export function jsonField(body: string, field: string): string | null {
  const key = `"${field}":"`;
  const at = body.indexOf(key);
  if (at < 0) return null;
  const from = at + key.length;
  const to = body.indexOf('"', from);
  return to < 0 ? null : body.slice(from, to);
}
