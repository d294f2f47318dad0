// Request ids, helmet headers, CORS, liveness and readiness, and identifier masking in log lines.
import { describe, expect, it } from 'vitest';
import { maskIdentifiers } from '../../src/observability/logger.js';
import { backendsUnderTest } from '../support/backends.js';
import { JWKS, ME, REFRESH, SESSIONS, V2, emailCode, expectStatus, newEmail } from '../support/flows.js';
import { serviceForBlock, startService } from '../support/service.js';

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({ backend });

  describe('GET /ready', () => {
    it('answers 200 naming each dependency it checked', async () => {
      const answer = await service.get('/ready');
      expectStatus(answer, 200);
      expect(answer.body).toEqual({
        status: 'ok',
        database: 'ok',
        migrations: 'ok',
        ...(backend === 'postgres+redis' ? { redis: 'ok' } : {}),
      });
    });
  });
});

describe('GET /ready', () => {
  it('answers 503 naming the migrations while they are not applied, and /health stays 200', async () => {
    const service = await startService({ env: { MIGRATE_ON_START: 'false' } });
    try {
      const answer = await service.get('/ready');
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ status: 'unavailable', migrations: 'unavailable', failed: ['migrations'] });
      expect((await service.get('/health')).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('X-Request-Id', () => {
  const service = serviceForBlock();

  it('is returned on every answer, and an incoming one is kept only when it looks like an id', async () => {
    const fresh = await service.get('/health');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await service.get('/health', { 'x-request-id': 'lb-4f2a9c01.trace_7' });
    expect(kept.headers.get('x-request-id')).toBe('lb-4f2a9c01.trace_7');
    for (const hostile of ['short', 'has space in it', 'x'.repeat(129), 'line\\nbreak-injected', '<script>alert(1)</script>']) {
      const answer = await service.get('/health', { 'x-request-id': hostile });
      expect(answer.headers.get('x-request-id'), hostile).not.toBe(hostile);
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const refused = await service.post(V2.login, { type: 'email', identifier: newEmail() }, { 'x-request-id': 'support-ticket-1234' });
    expect(refused.status).toBe(404);
    expect(service.logs()).toContain('"reqId":"support-ticket-1234"');
  });
});

describe('helmet and CORS', () => {
  it('sends helmet headers on every answer, errors included, and no CORS header by default', async () => {
    const service = await startService();
    try {
      for (const answer of [await service.get('/health'), await service.get('/nowhere'), await service.post(V2.login, '[')]) {
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        expect(answer.headers.get('strict-transport-security')).toContain('max-age=');
        expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
      }
      const cross = await service.get('/health', { origin: 'https://shop.example.com' });
      expect(cross.headers.get('access-control-allow-origin')).toBeNull();
      expect(cross.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await service.close();
    }
  });

  it('marks every API answer Cache-Control: no-store (tokens, profile, errors), and leaves the rest their own caching', async () => {
    const service = await startService();
    try {
      const email = newEmail();
      const asked = await service.post(V2.register, { type: 'email', identifier: email });
      const verified = await service.post(V2.verifyRegistration, { type: 'email', identifier: email, otp: emailCode(service, email) });
      expectStatus(verified, 201);
      const refreshed = await service.post(REFRESH, { refresh_token: verified.body.data.refresh_token });
      expectStatus(refreshed, 200);
      const me = await service.get(ME, { authorization: `Bearer ${refreshed.body.data.access_token}` });
      expectStatus(me, 200);
      const sessions = await service.get(SESSIONS, { authorization: `Bearer ${refreshed.body.data.access_token}` });
      expectStatus(sessions, 200);
      const refused = await service.get(ME);
      expectStatus(refused, 401);
      for (const answer of [asked, verified, refreshed, me, sessions, refused, await service.get('/api/v1/nowhere'), await service.post(V2.login, '[')]) {
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      // Public keys are meant to be cached; liveness is not the API.
      expect((await service.get(JWKS)).headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      expect((await service.get('/health')).headers.get('cache-control')).toBeNull();
    } finally {
      await service.close();
    }
  });

  it('allows the CORS_ORIGINS, with credentials, and nobody else', async () => {
    const service = await startService({ env: { CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173' } });
    try {
      const preflight = await service.request('OPTIONS', V2.login, undefined, {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      const local = await service.get('/health', { origin: 'http://localhost:5173' });
      expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const stranger = await service.get('/health', { origin: 'https://evil.example.net' });
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      expect(stranger.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await service.close();
    }
  });
});

describe('maskIdentifiers', () => {
  it.each([
    ['a phone number', 'To +919876543210 failed', 'To +91******3210 failed'],
    ['an email address', 'john@example.com bounced', 'j***@example.com bounced'],
    ['both, twice', '+15005550006,a.b@x.io;+15005550006', '+15*****0006,a***@x.io;+15*****0006'],
    ['nothing to mask', 'request completed', 'request completed'],
  ])('masks %s', (_label, text, masked) => {
    expect(maskIdentifiers(text)).toBe(masked);
  });
});
