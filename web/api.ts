// The page's one door to the service: the public API, same origin. The access token lives in this
// module's memory only; the refresh token lives in the httpOnly cookie that cookie mode sets, which
// no script can read. Every cookie-mode call carries X-Session-Mode: cookie (the service's CSRF check).

export interface Answer {
  ok: boolean;
  status: number;
  code: string | undefined;
  message: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON, read field by field
  /** Seconds from Retry-After (cooldowns and limits). */
  retryAfterSeconds: number | undefined;
}

const COOKIE_MODE = { 'x-session-mode': 'cookie' };
let accessToken: string | undefined;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, status: 0, code: 'NETWORK', message: 'The service cannot be reached. Check your connection and try again.', data: undefined, retryAfterSeconds: undefined };
  }
  const json = await response.json().catch(() => ({}));
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    ok: response.ok,
    status: response.status,
    code: json.code,
    message: json.message ?? response.statusText,
    data: json.data,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
}

function remember(answer: Answer): Answer {
  if (answer.ok) accessToken = answer.data.access_token;
  return answer;
}

/** A call with the access token; one refresh by cookie and one retry when it has expired. */
async function authed(method: string, path: string): Promise<Answer> {
  const first = await call(method, path, undefined, { authorization: `Bearer ${accessToken ?? ''}` });
  if (first.status !== 401 || first.code !== 'UNAUTHORIZED') return first;
  if (!(await refresh()).ok) return first;
  return call(method, path, undefined, { authorization: `Bearer ${accessToken ?? ''}` });
}

export type Purpose = 'login' | 'register';

export interface Identity {
  type: 'phone' | 'email';
  identifier: string;
}

export function requestCode(purpose: Purpose, identity: Identity & Record<string, string>, resend: boolean): Promise<Answer> {
  const path = {
    login: resend ? 'resend-login-otp' : 'login',
    register: resend ? 'resend-registration-otp' : 'register',
  }[purpose];
  return call('POST', `/api/v1/auth/${path}`, identity);
}

export async function verifyCode(purpose: Purpose, identity: Identity, otp: string): Promise<Answer> {
  const path = purpose === 'login' ? 'verify-login-otp' : 'verify-registration-otp';
  return remember(await call('POST', `/api/v1/auth/${path}`, { ...identity, otp }, COOKIE_MODE));
}

/** A new access token from the refresh cookie (a reload keeps the customer signed in this way). */
export async function refresh(): Promise<Answer> {
  const answer = remember(await call('POST', '/api/v1/auth/refresh', undefined, COOKIE_MODE));
  if (!answer.ok) accessToken = undefined;
  return answer;
}

export const me = () => authed('GET', '/api/v1/auth/me');
export const sessions = () => authed('GET', '/api/v1/auth/sessions');
export const endSession = (id: string) => authed('DELETE', `/api/v1/auth/sessions/${encodeURIComponent(id)}`);

export async function signOut(): Promise<Answer> {
  const answer = await call('POST', '/api/v1/auth/logout', undefined, { ...COOKIE_MODE, ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }) });
  accessToken = undefined;
  return answer;
}

export const devInbox = () => call('GET', '/api/v1/dev/inbox');
