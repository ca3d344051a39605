import { drive, pool, type LoadResult, type VirtualClient } from './load.js';
import type { BenchContext } from './context.js';
import { median } from './stats.js';

/** How often the server's resident set is read while it is under load. */
const RSS_SAMPLE_MS = 250;

/** One side of a comparison, ready to be measured again and again. */
export interface Prepared {
  measure(window: { warmupMs: number; durationMs: number }): Promise<LoadResult>;
  rssMiB?(): number;
  cpuSeconds?(): number;
  stop(): Promise<void>;
}

export interface Subject {
  label: string;
  prepare(ctx: BenchContext): Promise<Prepared>;
}

export interface Measured {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  firstError: string | null;
  /** Per-round requests per second, in round order. */
  roundRps: number[];
  /** Resident set under load, MiB: the median of samples taken every 250 ms through every round (one sample is at the mercy of the GC). */
  rssMiB: number | null;
  /** Server CPU (all its threads) per request, microseconds: steadier than req/s on a busy machine. */
  cpuPerRequestUs: number | null;
}

/** A subject that is a server driven by closed-loop virtual clients. */
export function served(
  label: string,
  start: (ctx: BenchContext) => Promise<{ port: number; rssMiB(): number; cpuSeconds(): number; stop(): Promise<void> }>,
  makeClients: (ctx: BenchContext, port: number) => Promise<VirtualClient[]>,
): Subject {
  return {
    label,
    async prepare(ctx) {
      const server = await start(ctx);
      try {
        const clients = await makeClients(ctx, server.port);
        return {
          measure: (window) => drive({ port: server.port, clients, ...window }),
          rssMiB: () => server.rssMiB(),
          cpuSeconds: () => server.cpuSeconds(),
          stop: () => server.stop(),
        };
      } catch (error) {
        await server.stop();
        throw error;
      }
    },
  };
}

/**
 * Prepares every subject, then measures them in alternating rounds (A B, B A, A B, ...)
 * so that whatever else the machine is doing falls on both sides alike.
 */
export async function compare(ctx: BenchContext, subjects: Subject[]): Promise<Measured[]> {
  const prepared: Prepared[] = [];
  try {
    for (const subject of subjects) {
      ctx.log(`  starting ${subject.label}`);
      prepared.push(await subject.prepare(ctx));
    }
    const runs: LoadResult[][] = subjects.map(() => []);
    const rss: number[][] = subjects.map(() => []);
    const cpu: Array<{ seconds: number; requests: number }> = subjects.map(() => ({ seconds: 0, requests: 0 }));
    for (let round = 0; round < ctx.rounds; round++) {
      const order = subjects.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const cpuBefore = prepared[i]!.cpuSeconds?.() ?? NaN;
        const driverBefore = process.cpuUsage();
        const sampler = prepared[i]!.rssMiB ? setInterval(() => rss[i]!.push(prepared[i]!.rssMiB!()), RSS_SAMPLE_MS) : null;
        const result = await prepared[i]!.measure({ warmupMs: ctx.warmupMs, durationMs: ctx.durationMs }).finally(() => {
          if (sampler) clearInterval(sampler);
        });
        const driver = process.cpuUsage(driverBefore);
        cpu[i]!.seconds += (prepared[i]!.cpuSeconds?.() ?? NaN) - cpuBefore;
        cpu[i]!.requests += result.allRequests;
        runs[i]!.push(result);
        ctx.log(
          `  round ${round + 1}/${ctx.rounds} ${subjects[i]!.label}: ${result.rps.toFixed(0)}/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms` +
            (prepared[i]!.cpuSeconds ? ` cpu ${((cpu[i]!.seconds / cpu[i]!.requests) * 1e6).toFixed(0)} us/req (cumulative)` : '') +
            ` driver ${((driver.user + driver.system) / result.allRequests).toFixed(0)} us/req` +
            (result.errors ? ` errors ${result.errors} (${result.firstError})` : ''),
        );
      }
    }
    return subjects.map((subject, i) => {
      const pooled = pool(runs[i]!);
      return {
        label: subject.label,
        rps: pooled.rps,
        p50: pooled.p50,
        p99: pooled.p99,
        requests: pooled.requests,
        errors: pooled.errors,
        firstError: pooled.firstError,
        roundRps: runs[i]!.map((r) => r.rps),
        rssMiB: rss[i]!.length ? median(rss[i]!) : null,
        cpuPerRequestUs: Number.isFinite(cpu[i]!.seconds) && cpu[i]!.requests ? (cpu[i]!.seconds / cpu[i]!.requests) * 1e6 : null,
      };
    });
  } finally {
    for (const p of prepared) await p.stop().catch(() => {});
  }
}
