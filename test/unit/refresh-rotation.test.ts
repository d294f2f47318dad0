// Refresh-token rotation is one atomic step in the store (insert the successor, spend the token
// with a conditional update, touch the session): of parallel rotations of one token exactly one
// wins, on SQLite and on PostgreSQL. The HTTP tests (test/api/refresh.test.ts) cannot force this
// race: their parallel requests reach the store one after another, each finding the token already
// spent. Here 20 rotations of one unspent token go to the store at once.
// Migration 007 keyed tokens by session: tokens stored before it (legacy_refresh_tokens) still
// rotate, and a database upgraded from 006 with a live token keeps that token working.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewRefreshToken } from '../../src/domain/ports.js';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { migrateToLatest, migrateUpTo } from '../../src/store/migrate.js';
import { createSessionStore } from '../../src/store/sessions-store.js';
import { freshDatabase, postgresUrl, type FreshDatabase } from '../support/backends.js';

const DAY = 86_400_000;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const kinds = postgresUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
if (kinds.length === 1) console.warn('refresh-rotation: PostgreSQL not configured for this run, only SQLite is checked');

describe.each(kinds)('refresh-token rotation in the store (%s)', (kind) => {
  const opened: Array<{ file: FreshDatabase; handle: DatabaseHandle }> = [];

  afterAll(async () => {
    for (const { file, handle } of opened) {
      await handle.close();
      await file.drop();
    }
  });

  /** A fresh database migrated to the latest schema, or only up to `upTo`, with one customer. */
  async function open(upTo?: string) {
    const file = await freshDatabase(kind);
    const handle = await createDatabase(
      kind === 'sqlite' ? { kind: 'sqlite', path: file.url.slice('sqlite:'.length) } : { kind: 'postgres', url: file.url, poolMax: 10 },
    );
    opened.push({ file, handle });
    if (upTo === undefined) await migrateToLatest(handle);
    else await migrateUpTo(handle, upTo);
    const now = Date.now();
    const customer = await handle.db
      .insertInto('customers')
      .values({ name: 'Rotation', email_validate: 0, phone_validate: 0, status: 'active', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { handle, store: createSessionStore(handle), customerId: Number(customer.id), now };
  }

  it('lets exactly one of 20 parallel rotations of one token win, stores the successor once and touches the session', async () => {
    const { store, customerId, now } = await open();
    const sessionId = randomBytes(16).toString('base64url');
    const first = hash('first');
    await store.createSession(
      { id: sessionId, customerId, createdAtMs: now, lastUsedAtMs: now, expiresAtMs: now + DAY, userAgent: null, clientAddress: '127.0.0.1' },
      { tokenHash: first, sessionId, createdAtMs: now, expiresAtMs: now + DAY },
    );
    const successor: NewRefreshToken = { tokenHash: hash('second'), sessionId, createdAtMs: now + 1000, expiresAtMs: now + 2 * DAY };

    const key = { sessionId, tokenHash: first };
    const won = await Promise.all(Array.from({ length: 20 }, () => store.rotateRefreshToken(key, successor)));

    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await store.findRefreshToken(key))?.spentAtMs).toBe(now + 1000);
    expect(await store.findRefreshToken({ sessionId, tokenHash: successor.tokenHash })).toMatchObject({ sessionId, customerId, spentAtMs: null, expiresAtMs: now + 2 * DAY });
    const [session] = await store.listSessions(customerId, now);
    expect(session).toMatchObject({ id: sessionId, lastUsedAtMs: now + 1000, expiresAtMs: now + 2 * DAY });
    // A spent token never wins again.
    expect(await store.rotateRefreshToken(key, successor)).toBe(false);
    // A token is found only under the session it names.
    expect(await store.findRefreshToken({ sessionId: randomBytes(16).toString('base64url'), tokenHash: successor.tokenHash })).toBeUndefined();
    expect(await store.findRefreshToken({ sessionId: undefined, tokenHash: successor.tokenHash })).toBeUndefined();
  });

  it('rotates a legacy token (from before tokens named their session) once of 20 parallel tries, its successor a new-style row', async () => {
    const { handle, store, customerId, now } = await open();
    const sessionId = randomBytes(16).toString('base64url');
    await store.createSession(
      { id: sessionId, customerId, createdAtMs: now, lastUsedAtMs: now, expiresAtMs: now + DAY, userAgent: null, clientAddress: '127.0.0.1' },
      { tokenHash: hash('new-first'), sessionId, createdAtMs: now, expiresAtMs: now + DAY },
    );
    // What migration 007 left behind: a token of this session in the old table, keyed by hash alone.
    await handle.db.insertInto('legacy_refresh_tokens').values({ token_hash: hash('legacy'), session_id: sessionId, created_at: now, expires_at: now + DAY, spent_at: null }).execute();
    const legacy = { sessionId: undefined, tokenHash: hash('legacy') };
    expect(await store.findRefreshToken(legacy)).toMatchObject({ sessionId, customerId, spentAtMs: null });
    const successor: NewRefreshToken = { tokenHash: hash('legacy-successor'), sessionId, createdAtMs: now + 1000, expiresAtMs: now + 2 * DAY };

    const won = await Promise.all(Array.from({ length: 20 }, () => store.rotateRefreshToken(legacy, successor)));

    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await store.findRefreshToken(legacy))?.spentAtMs).toBe(now + 1000);
    expect(await store.findRefreshToken({ sessionId, tokenHash: successor.tokenHash })).toMatchObject({ sessionId, customerId, spentAtMs: null });
    // The sweep deletes expired legacy tokens too, while their session lives on (until now + 2 days).
    await store.deleteEndedSessions(now + 1.5 * DAY);
    expect(await store.listSessions(customerId, now + 1.5 * DAY)).toHaveLength(1);
    expect(await handle.db.selectFrom('legacy_refresh_tokens').selectAll().execute()).toStrictEqual([]);
  });

  it('keeps a token stored before migration 007 working: found by its hash, rotated once, then spent', async () => {
    const { handle, customerId, now } = await open('006-ratio-division');
    const sessionId = randomBytes(16).toString('base64url');
    const oldToken = randomBytes(32).toString('base64url');
    await handle.db
      .insertInto('sessions')
      .values({ id: sessionId, customer_id: customerId, created_at: now, last_used_at: now, expires_at: now + DAY, user_agent: null, client_ip: null, revoked_at: null })
      .execute();
    // The table as it was before 007: keyed by token_hash alone.
    await handle.db.insertInto('refresh_tokens').values({ token_hash: hash(oldToken), session_id: sessionId, created_at: now, expires_at: now + DAY, spent_at: null }).execute();

    expect(await migrateToLatest(handle)).toStrictEqual(['007-session-keyed-tokens']);

    const store = createSessionStore(handle);
    const key = { sessionId: undefined, tokenHash: hash(oldToken) };
    expect(await store.findRefreshToken(key)).toMatchObject({ sessionId, customerId, spentAtMs: null });
    const successor: NewRefreshToken = { tokenHash: hash(`${sessionId}.next`), sessionId, createdAtMs: now + 1000, expiresAtMs: now + 2 * DAY };
    expect(await store.rotateRefreshToken(key, successor)).toBe(true);
    expect(await store.rotateRefreshToken(key, successor)).toBe(false);
    expect((await store.findRefreshToken(key))?.spentAtMs).toBe(now + 1000);
    expect(await store.findRefreshToken({ sessionId, tokenHash: successor.tokenHash })).toMatchObject({ sessionId, spentAtMs: null });
  });

  it('creates a session and its first token together', async () => {
    const { store, customerId, now } = await open();
    const sessionId = randomBytes(16).toString('base64url');
    await store.createSession(
      { id: sessionId, customerId, createdAtMs: now, lastUsedAtMs: now, expiresAtMs: now + DAY, userAgent: 'test', clientAddress: '127.0.0.1' },
      { tokenHash: hash('only'), sessionId, createdAtMs: now, expiresAtMs: now + DAY },
    );
    expect(await store.findRefreshToken({ sessionId, tokenHash: hash('only') })).toMatchObject({ sessionId, customerId, spentAtMs: null, sessionRevokedAtMs: null });
    expect(await store.listSessions(customerId, now)).toHaveLength(1);
  });
});
