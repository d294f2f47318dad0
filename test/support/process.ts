// Runs the built service (dist/src/server.js, built by `pretest`) as its own process, the way
// production does, for tests that kill, restart or multiply instances.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { TEST_JWT_SECRET, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN } from './service.js';

const SERVER = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url));

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  timeoutMs?: number;
  /** The working directory: where a relative ./data (SQLite file, development secret) goes. */
  cwd?: string;
}

/** `env` is laid over the defaults below; a variable given as undefined is left unset. */
export async function spawnService(env: Record<string, string | undefined>, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const merged = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env };
  const child = spawn(process.execPath, [SERVER], {
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timeoutMs = options.timeoutMs ?? 15_000;
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- wire JSON
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** A local port nothing listens on (one just closed): a database or relay that cannot be reached. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment of a spawned service on `databaseUrl`, sending SMS through the fake Twilio at `twilioUrl`. */
export function spawnedServiceEnv(databaseUrl: string, twilioUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    SMS_PROVIDER: 'twilio',
    TWILIO_API_BASE_URL: twilioUrl,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM,
  };
}
