// The one logger: pino JSON (pino-pretty in development), secrets redacted, identifiers masked.
// Redaction removes fields by name (codes, tokens, headers, provider credentials); masking rewrites
// any phone number or email address found in a string value, wherever a line put it (a provider's
// error message quoting the number included).
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { Log } from '../domain/ports.js';

export type LogFormat = 'json' | 'pretty';

/** Field names whose values never reach a log, at the top level and one level down. */
const SECRET_FIELDS = [
  'otp',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'authToken',
  'auth_token',
  'password',
  'pass',
  'secret',
  'smtpUrl',
  'webhookSecret',
];
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

const PHONE = /\+\d{7,15}\b/g;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** "+919876543210" -> "+91******3210", "john@example.com" -> "j***@example.com". */
export function maskIdentifiers(text: string): string {
  if (!text.includes('+') && !text.includes('@')) return text;
  return text
    .replace(PHONE, (phone) => `${phone.slice(0, 3)}${'*'.repeat(Math.max(phone.length - 7, 2))}${phone.slice(-4)}`)
    .replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

function maskValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskIdentifiers(value);
  if (depth === 0 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => maskValue(item, depth - 1));
  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) masked[key] = maskValue(item, depth - 1);
  return masked;
}

/** pino's error serializer, with identifiers masked in the message and stack. */
function maskedError(error: Error) {
  const serialized = stdSerializers.err(error);
  return maskValue(serialized, 3);
}

export interface LoggerOptions {
  logLevel: pino.LevelWithSilent;
  logFormat: LogFormat;
}

export function createLogger(options: LoggerOptions, stream?: DestinationStream): Logger {
  const settings: pino.LoggerOptions = {
    level: options.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: maskedError },
    formatters: { log: (object) => maskValue(object, 3) as Record<string, unknown> },
  };
  // A caller's own stream (the tests) always gets JSON, so it can be searched line by line.
  if (options.logFormat === 'pretty' && stream === undefined) {
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(settings, stream ?? process.stdout);
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger (Fastify's childLoggerFactory), made only when the request writes a line at a
 * level that is on. pino's child() passes every binding through the redaction, which cost ~7% of
 * the CPU of a short request whose lines were all below the level (the production default). The
 * lines it writes are the child's own, request id included.
 */
export class DeferredChild {
  #made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  static factory(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
    // A route with its own log level needs the real child's level checks: made at once.
    if (options.level !== undefined) return parent.child(bindings, options);
    return new DeferredChild(parent, bindings, options) as unknown as Logger;
  }

  get logger(): Logger {
    return (this.#made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.#made?.isLevelEnabled(level) ?? this.parent.isLevelEnabled(level);
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  #write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.logger[level] as (...line: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}
}

/**
 * The request a line belongs to. The domain logs through `log`, which writes with the current
 * request's logger (its request id bound) and with the root logger outside a request.
 */
export function createRequestContext(root: Log) {
  const storage = new AsyncLocalStorage<Log>();
  const current = () => storage.getStore() ?? root;
  const log: Log = {
    info: (object, message) => current().info(object, message),
    warn: (object, message) => current().warn(object, message),
    error: (object, message) => current().error(object, message),
  };
  return {
    log,
    /** Runs the rest of a request (hooks, handler) with `logger` as the current one. */
    run: (logger: Log, next: () => void) => storage.run(logger, next),
  };
}

export type RequestContext = ReturnType<typeof createRequestContext>;

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** An incoming X-Request-Id is kept only when it looks like an id; otherwise a fresh one is made. */
export function requestIdFrom(header: string | string[] | undefined, fresh: () => string): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : fresh();
}
