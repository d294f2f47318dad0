// Child processes of the benchmark: spawned with this node binary, tracked, and killed on any exit
// (normal, failure, Ctrl-C). Also what /proc says about them: CPU time and peak RSS.
import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills every child still running. Synchronous, so it is safe in process.on('exit'). */
export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of children) {
    if (alive(child)) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

process.on('exit', () => killAllChildren('SIGKILL'));

export interface Spawned {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The log file that holds its stdout and stderr (undefined when piped). */
  logPath: string | undefined;
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last bytes of its log, for error messages. */
  logTail(bytes?: number): string;
}

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  nodeArgs?: string[];
  env: Record<string, string>;
  /** Write stdout and stderr to this file (no pipe through the bench); otherwise stdout is piped. */
  logPath?: string;
}

export function spawnNode(options: SpawnOptions): Spawned {
  let stdio: StdioOptions;
  let fd: number | undefined;
  if (options.logPath !== undefined) {
    fd = openSync(options.logPath, 'a');
    stdio = ['ignore', fd, fd];
  } else {
    stdio = ['ignore', 'pipe', 'inherit'];
  }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio,
  });
  if (fd !== undefined) closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  return {
    name: options.name,
    child,
    pid: child.pid,
    logPath: options.logPath,
    exited,
    async stop(graceMs = 5000) {
      if (!alive(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (alive(child)) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
    logTail(bytes = 4000) {
      if (options.logPath === undefined) return '';
      try {
        const text = readFileSync(options.logPath, 'utf8');
        return text.slice(-bytes);
      } catch {
        return '';
      }
    },
  };
}

export const distPath = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET url until it answers 200; fails early if the process exits. */
export async function waitForHealthy(proc: Spawned, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited before it was healthy:\n${proc.logTail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) {
        await response.arrayBuffer();
        return;
      }
      last = `status ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${proc.name} was not healthy at ${url} within ${timeoutMs} ms (${last}):\n${proc.logTail()}`);
}

/** Reads the first line a process prints on stdout (the fake Twilio prints {"url": ...}). */
export async function firstLine(proc: Spawned, timeoutMs = 15_000): Promise<string> {
  const stdout = proc.child.stdout;
  if (stdout === null) throw new Error(`${proc.name} has no piped stdout`);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${proc.name} printed nothing within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        stdout.off('data', onData);
        stdout.resume(); // keep draining whatever else it prints
        resolve(buffered.slice(0, newline));
      }
    };
    stdout.on('data', onData);
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${proc.name} exited with ${code} before printing`));
    });
  });
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

/** The process's peak resident set size so far, in MB (VmHWM in /proc/<pid>/status). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
}

/** Current resident set size in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
}

/** CPU time of the whole machine so far (all cores, from /proc/stat), in seconds: busy and total. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
}
