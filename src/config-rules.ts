// The safety rules that judge a configuration as a whole (what production refuses, what looks like
// production without saying so), apart from config.ts's table of variables. Pure functions: each
// returns the problem found, and config.ts turns it into a ConfigError naming the variable.
import { BlockList, isIP } from 'node:net';

export interface Problem {
  variable: string;
  problem: string;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (any spelling, IPv4-mapped too) and localhost: a listener no other machine reaches. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * With NODE_ENV unset the service runs as development (so a fresh clone starts with `npm start`),
 * which prints codes to the console and allows APP_DEBUG. A setting that only a deployment has
 * means someone forgot NODE_ENV: the first such setting found, named without its value when the
 * value may hold a password, or undefined.
 */
export function productionShapedSetting(settings: {
  smsProviders: readonly string[];
  emailProviders: readonly string[];
  databaseKind: 'sqlite' | 'postgres';
  redisUrl: string | undefined;
  host: string;
}): string | undefined {
  const sms = settings.smsProviders.find((provider) => provider !== 'console');
  if (sms !== undefined) return `SMS_PROVIDER=${settings.smsProviders.join(',')}`;
  const email = settings.emailProviders.find((provider) => provider !== 'console');
  if (email !== undefined) return `EMAIL_PROVIDER=${settings.emailProviders.join(',')}`;
  if (settings.databaseKind === 'postgres') return 'a PostgreSQL DATABASE_URL';
  if (settings.redisUrl !== undefined) return 'REDIS_URL';
  if (!isLoopbackHost(settings.host)) return `HOST=${settings.host}`;
  return undefined;
}

/** Fewer distinct characters than this is a typed or patterned secret, not a random one (hex has 16). */
export const MIN_DISTINCT_SECRET_CHARACTERS = 10;
export const MIN_SECRET_BYTES = 32;
const MAKE_ONE = 'make one with: openssl rand -base64 48';

/**
 * Why a secret (JWT_SECRET, OTP_SECRET) is too weak, or undefined. Everywhere: under 32 bytes of
 * UTF-8. In production also: fewer than 10 distinct characters ("aaaa...", "passwordpassword..."),
 * or a shorter string repeated ("abcdefghijkabcdefghijk...", however long the repeated part). The
 * reason never quotes the secret.
 */
export function secretWeakness(secret: string, options: { production: boolean }): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return `must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes}; ${MAKE_ONE}`;
  if (!options.production) return undefined;
  const distinct = new Set(secret).size;
  if (distinct < MIN_DISTINCT_SECRET_CHARACTERS) {
    return `is too weak: only ${distinct} distinct characters (at least ${MIN_DISTINCT_SECRET_CHARACTERS}); ${MAKE_ONE}`;
  }
  if (smallestPeriod(secret) <= secret.length / 2) return `is too weak: it is a shorter string repeated; ${MAKE_ONE}`;
  return undefined;
}

/**
 * The length of the shortest string whose repetition (the last copy possibly cut short) spells
 * `text`, from the Knuth-Morris-Pratt prefix function: linear, whatever the secret's length.
 */
function smallestPeriod(text: string): number {
  const units = [...text];
  const border = new Array<number>(units.length).fill(0);
  for (let i = 1; i < units.length; i += 1) {
    let k = border[i - 1]!;
    while (k > 0 && units[i] !== units[k]) k = border[k - 1]!;
    if (units[i] === units[k]) k += 1;
    border[i] = k;
  }
  return units.length - (border[units.length - 1] ?? 0);
}

/**
 * OTP settings that make codes guessable or let one identifier be flooded: refused in production
 * unless ALLOW_UNSAFE_OTP_SETTINGS=true, which turns each into a start-up warning.
 */
export function unsafeOtpSettings(settings: { otpLength: number; otpMaxAttempts: number; otpResendCooldownSeconds: number }): Problem[] {
  const problems: Problem[] = [];
  if (settings.otpLength < 6) problems.push({ variable: 'OTP_LENGTH', problem: `is ${settings.otpLength}: codes shorter than 6 digits are guessable` });
  if (settings.otpMaxAttempts > 10) {
    problems.push({ variable: 'OTP_MAX_ATTEMPTS', problem: `is ${settings.otpMaxAttempts}: more than 10 wrong tries per code make guessing practical` });
  }
  if (settings.otpResendCooldownSeconds === 0) {
    problems.push({ variable: 'OTP_RESEND_COOLDOWN_SECONDS', problem: 'is 0: without a cooldown one number can be flooded with messages' });
  }
  return problems;
}
