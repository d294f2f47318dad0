// Migration 007 keys refresh tokens by session: a database upgraded with live refresh tokens in it
// keeps them working. Each database is migrated up to 006, given a session and a token the way the
// service stored them then, migrated to the latest, and the old token is found, rotated once (its
// successor a new-style row) and recognised as spent, on SQLite and PostgreSQL.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { migrateToLatest, migrateUpTo } from '../../src/store/migrate.js';
import { createSessionStore } from '../../src/store/sessions-store.js';
import { freshDatabase, postgresUrl, type FreshDatabase } from '../support/backends.js';

const DAY = 86_400_000;
const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const kinds = postgresUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
if (kinds.length === 1) console.warn('migration-legacy-tokens: PostgreSQL not configured for this run, only SQLite is checked');

describe.each(kinds)('refresh tokens across migration 007 (%s)', (kind) => {
  const opened: Array<{ file: FreshDatabase; handle: DatabaseHandle }> = [];

  afterAll(async () => {
    for (const { file, handle } of opened) {
      await handle.close();
      await file.drop();
    }
  });

  it('keeps a token stored before the upgrade working: found by its hash, rotated once, then spent', async () => {
    const file = await freshDatabase(kind);
    const handle = await createDatabase(
      kind === 'sqlite' ? { kind: 'sqlite', path: file.url.slice('sqlite:'.length) } : { kind: 'postgres', url: file.url, poolMax: 4 },
    );
    opened.push({ file, handle });
    await migrateUpTo(handle, '006-ratio-division');
    const now = Date.now();
    const customer = await handle.db
      .insertInto('customers')
      .values({ name: 'Upgrade', email_validate: 0, phone_validate: 0, status: 'active', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sessionId = randomBytes(16).toString('base64url');
    const oldToken = randomBytes(32).toString('base64url');
    await handle.db
      .insertInto('sessions')
      .values({ id: sessionId, customer_id: Number(customer.id), created_at: now, last_used_at: now, expires_at: now + DAY, user_agent: null, client_ip: null, revoked_at: null })
      .execute();
    // The table as it was before 007: keyed by token_hash alone.
    await handle.db.insertInto('refresh_tokens').values({ token_hash: hash(oldToken), session_id: sessionId, created_at: now, expires_at: now + DAY, spent_at: null }).execute();

    expect(await migrateToLatest(handle)).toStrictEqual(['007-session-keyed-tokens']);

    const store = createSessionStore(handle);
    const key = { sessionId: undefined, tokenHash: hash(oldToken) };
    expect(await store.findRefreshToken(key)).toMatchObject({ sessionId, customerId: Number(customer.id), spentAtMs: null });
    const successor = { tokenHash: hash(`${sessionId}.next`), sessionId, createdAtMs: now + 1000, expiresAtMs: now + 2 * DAY };
    expect(await store.rotateRefreshToken(key, successor)).toBe(true);
    expect(await store.rotateRefreshToken(key, successor)).toBe(false);
    expect((await store.findRefreshToken(key))?.spentAtMs).toBe(now + 1000);
    expect(await store.findRefreshToken({ sessionId, tokenHash: successor.tokenHash })).toMatchObject({ sessionId, spentAtMs: null });
  });
});
