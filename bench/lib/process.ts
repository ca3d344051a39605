import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once, rawRequest } from './http1.js';

export interface ServerProcess {
  name: string;
  port: number;
  pid: number;
  /** Resident set size now, in MiB (Linux /proc). */
  rssMiB(): number;
  /** CPU seconds (user + system, all threads) the process has used so far. */
  cpuSeconds(): number;
  /** The last lines the process wrote. */
  logTail(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const CLOCK_TICKS = 100;

function readCpu(pid: number): number {
  try {
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function readRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export interface ServerSpec {
  name: string;
  script: string;
  args?: string[];
  env: Record<string, string>;
  logFile: string;
  readyPath: string;
  nodeArgs?: string[];
}

/** Port races with other processes on the machine (parallel test files) this many times at most. */
const PORT_ATTEMPTS = 5;

/**
 * Starts a server in its own process on a free loopback port, output to a log file (as a
 * deployment would; a pipe would make this process pay for reading it), and waits until
 * `readyPath` answers 2xx. `spec` is given the port. A port is free when probed but may be
 * taken by another process before the server binds it: then the server exits with
 * EADDRINUSE and is started again on another port.
 */
export async function startServer(spec: (port: number) => ServerSpec): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), spec);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startOn(port: number, spec: (port: number) => ServerSpec): Promise<ServerProcess> {
  const options = { ...spec(port), port };
  const log = openSync(options.logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logTail = () => {
    try {
      return readFileSync(options.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = logTail();
      const message = `${options.name} exited (${child.exitCode ?? child.signalCode}):\n${tail}`;
      throw tail.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message);
    }
    try {
      const response = await once(options.port, rawRequest('GET', options.readyPath, {}));
      if (response.status >= 200 && response.status < 300) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not become ready within 60 s:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: options.name,
    port: options.port,
    pid: child.pid!,
    rssMiB: () => readRss(child.pid!),
    cpuSeconds: () => readCpu(child.pid!),
    logTail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
