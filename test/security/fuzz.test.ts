// Property-based fuzz (fast-check) of every route over HTTP: bodies valid-shaped and garbage
// (wrong types, huge and unicode strings, nested objects, missing fields, not JSON at all), odd
// content types and odd header values. Properties: never a 5xx, every 4xx is the error envelope,
// and the server still answers afterwards. 2,000 cases per route with CI=true, 200 otherwise.
// SQLite, console providers and no per-address limit: the fuzz exercises validation and the
// domain, not delivery, and must not be throttled by design.
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ME, SAL27, V2 } from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const RUNS_PER_ROUTE = process.env.CI === 'true' ? 2000 : 200;
const POST_ROUTES = [...Object.values(V2), ...Object.values(SAL27)];
const GET_ROUTES = [ME, '/health', '/api/v1/auth/no-such-route'];

const agent = new Agent({ connections: 16 });
afterAll(() => agent.close());

/** Any JSON-ish value a client could put in a field, hostile ones included. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u202e', '\ud83d\ude00', '\u00e9', '\uffff', '+', '0', '9', '@', '.', ' ') }),
  fc.nat(70_000).map((length) => '9'.repeat(length)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

/** Values that pass the schemas, so the fuzz also reaches the domain (parsing, lookups, codes). */
const plausible = {
  type: fc.constantFrom('phone', 'email'),
  identifier: fc.oneof(
    fc.constantFrom('+919876543210', '9876543210', '09876 543210', '+1 415 555 2671', '+19002345678', '+881612345678', 'a@example.com', 'A.B+tag@Example.COM'),
    fc.stringMatching(/^\+?[0-9 ()-]{1,20}$/),
    fc.emailAddress(),
  ),
  phone: fc.oneof(fc.constantFrom('+919876543210', '98765 43210', '+447012345678'), fc.stringMatching(/^\+?[0-9]{4,16}$/)),
  country_code: fc.oneof(fc.constantFrom('+91', '91', '+1', '+44', '+0', '+9999'), fc.stringMatching(/^\+?[0-9]{1,4}$/)),
  otp: fc.stringMatching(/^[0-9]{6}$/),
  name: fc.string({ minLength: 1, maxLength: 100 }),
  username: fc.stringMatching(/^[A-Za-z0-9_.-]{3,30}$/),
  email: fc.emailAddress(),
  captcha_token: fc.string({ maxLength: 50 }),
};
type Field = keyof typeof plausible;
const FIELDS = Object.keys(plausible) as Field[];

/** An object built from the routes' field names (some missing), each plausible or anything at all. */
const shapedBody = fc
  .uniqueArray(fc.constantFrom(...FIELDS, 'status', 'id', '__proto__', 'constructor'), { maxLength: 8 })
  .chain((keys) =>
    fc.tuple(...keys.map((key) => (Object.hasOwn(plausible, key) ? fc.oneof(plausible[key as Field], anyValue) : anyValue))).map((values) =>
      JSON.stringify(Object.fromEntries(keys.map((key, index) => [key, values[index]]))),
    ),
  );

const rawBody = fc.oneof(
  { weight: 4, arbitrary: shapedBody },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"type":"phone"}{"type":"email"}') },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  '',
  undefined,
);

/** Header values a real HTTP client can send (visible ASCII and spaces), odd as they may be. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 300 });
const oddHeaders = fc.dictionary(
  fc.constantFrom('authorization', 'x-forwarded-for', 'x-request-id', 'accept', 'accept-language', 'user-agent', 'x-real-ip', 'origin'),
  fc.oneof(headerValue, fc.constantFrom('Bearer ', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.', '::1', '1.2.3.4, ::ffff:1.2.3.4')),
  { maxKeys: 4 },
);

interface Reply {
  status: number;
  text: string;
}

describe('fuzz: every route, every body and header', () => {
  const service = serviceForBlock({
    env: { SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console', LOG_LEVEL: 'error' },
  });

  async function send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    const answer = await request(service.url + path, { method, headers, body, dispatcher: agent });
    return { status: answer.statusCode, text: await answer.body.text() };
  }

  function expectNoServerErrorAndEnvelope(reply: Reply, context: string): void {
    expect(reply.status, context).toBeLessThan(500);
    if (reply.status < 400) return;
    const parsed: unknown = JSON.parse(reply.text);
    expect(parsed, context).toStrictEqual({ success: false, message: expect.any(String), code: expect.stringMatching(/^[A-Z_]+$/) });
  }

  it(
    `answers no 5xx and the envelope on every 4xx (${RUNS_PER_ROUTE} cases per route)`,
    async () => {
      console.log(`fuzz: ${RUNS_PER_ROUTE} cases per route, ${POST_ROUTES.length + GET_ROUTES.length} routes`);
      const posts = POST_ROUTES.map((path) =>
        fc.assert(
          fc.asyncProperty(rawBody, contentType, oddHeaders, async (body, type, headers) => {
            const all = type === undefined ? headers : { ...headers, 'content-type': type };
            const reply = await send('POST', path, all, body);
            expectNoServerErrorAndEnvelope(reply, `POST ${path} ${JSON.stringify(all)} ${body.slice(0, 200)}`);
          }),
          { numRuns: RUNS_PER_ROUTE },
        ),
      );
      const gets = GET_ROUTES.map((path) =>
        fc.assert(
          fc.asyncProperty(oddHeaders, async (headers) => {
            const reply = await send('GET', path, headers);
            expectNoServerErrorAndEnvelope(reply, `GET ${path} ${JSON.stringify(headers)}`);
          }),
          { numRuns: RUNS_PER_ROUTE },
        ),
      );
      await Promise.all([...posts, ...gets]);

      const health = await send('GET', '/health', {});
      expect(health.status).toBe(200);
    },
    process.env.CI === 'true' ? 180_000 : 60_000,
  );
});
