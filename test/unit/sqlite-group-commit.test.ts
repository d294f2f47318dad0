// Group commit must never answer before the commit: whatever a store call has resolved is visible
// to another connection (another process) at that moment.
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NewChallenge, Store } from '../../src/domain/ports.js';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { createGroupCommit, type GroupCommit } from '../../src/store/sqlite-group-commit.js';
import { createDatabaseLimiter } from '../../src/store/limiter-db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createStore } from '../../src/store/store.js';
import { freshDatabase, type FreshDatabase } from '../support/backends.js';

const challenge = (identifier: string): NewChallenge => ({
  identifier,
  channel: 'phone',
  purpose: 'register',
  codeHash: 'a'.repeat(64),
  expiresAtMs: Date.now() + 600_000,
  phoneNational: identifier.slice(3),
  profile: { name: null, username: null, email: null, phone: null },
  replacing: { keepPrevious: true, nowMs: Date.now(), maxAttempts: 5 },
});

describe('SQLite group commit', () => {
  let file: FreshDatabase;
  let handle: DatabaseHandle;
  let store: Store;
  let observer: Sqlite.Database;

  beforeAll(async () => {
    file = await freshDatabase('sqlite');
    handle = await createDatabase({ kind: 'sqlite', path: file.url.slice('sqlite:'.length) });
    await migrateToLatest(handle);
    store = createStore(handle);
    observer = new Sqlite(file.url.slice('sqlite:'.length), { readonly: true });
  });

  afterAll(async () => {
    observer.close();
    await handle.close();
    await file.drop();
  });

  const committed = (sql: string, ...values: unknown[]) => (observer.prepare(sql).get(...values) as { n: number }).n;

  it('resolves a write only once another connection can see it', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => `+91987650${String(i).padStart(4, '0')}`);
    // Twenty writes issued in one turn share a commit; each resolves after it.
    await Promise.all(
      phones.map(async (phone) => {
        await store.saveChallenge(challenge(phone));
        expect(committed('select count(*) as n from otp_challenges where identifier = ?', phone)).toBe(1);
      }),
    );
  });

  it('resolves a registration only once the account is committed, with other writes in the same turn', async () => {
    const phone = '+919876512345';
    await store.saveChallenge(challenge(phone));
    const limiter = createDatabaseLimiter(handle);
    const [customer] = await Promise.all([
      store.registerCustomer(
        { key: { identifier: phone, purpose: 'register' }, codeHash: 'a'.repeat(64), maxAttempts: 5, nowMs: Date.now() },
        { email: null, emailValidated: false, phone: { e164: phone, national: '9876512345', countryCode: '+91' }, phoneValidated: true, name: null, username: null },
      ),
      limiter.decide([{ kind: 'take', key: 'cooldown:login:+919876500000', rules: [{ limit: 1, windowMs: 60_000 }] }], Date.now()),
      store.saveChallenge(challenge('+919876599999')),
    ]);
    expect(customer?.phoneE164).toBe(phone);
    expect(committed('select count(*) as n from customers where phone_e164 = ?', phone)).toBe(1);
    expect(committed('select count(*) as n from otp_challenges where identifier = ?', phone)).toBe(0);
  });

  it('rolls back a failed registration alone, keeping the batch it shared', async () => {
    const phone = '+919876512345'; // registered above: the insert hits the unique index
    await store.saveChallenge(challenge(phone));
    const other = '+919876577777';
    const results = await Promise.allSettled([
      store.registerCustomer(
        { key: { identifier: phone, purpose: 'register' }, codeHash: 'a'.repeat(64), maxAttempts: 5, nowMs: Date.now() },
        { email: null, emailValidated: false, phone: { e164: phone, national: '9876512345', countryCode: '+91' }, phoneValidated: true, name: null, username: null },
      ),
      store.saveChallenge(challenge(other)),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'ALREADY_REGISTERED' } });
    expect(results[1].status).toBe('fulfilled');
    expect(committed('select count(*) as n from otp_challenges where identifier = ?', other)).toBe(1);
    // The code was not consumed: the registration's savepoint was rolled back as a whole.
    expect(committed('select count(*) as n from otp_challenges where identifier = ?', phone)).toBe(1);
  });

  it("keeps limits taken while a registration's savepoint is open when that registration rolls back", async () => {
    const phone = '+919876512345'; // registered above: this registration fails and rolls back
    await store.saveChallenge(challenge(phone));
    const limiter = createDatabaseLimiter(handle);
    const take = (key: string) => limiter.decide([{ kind: 'take', key, rules: [{ limit: 1, windowMs: 60_000 }] }], Date.now());
    const registration = store.registerCustomer(
      { key: { identifier: phone, purpose: 'register' }, codeHash: 'a'.repeat(64), maxAttempts: 5, nowMs: Date.now() },
      { email: null, emailValidated: false, phone: { e164: phone, national: '9876512345', countryCode: '+91' }, phoneValidated: true, name: null, username: null },
    );
    // One take on each of the next microtask turns: some are issued while the savepoint is open.
    const keys = Array.from({ length: 60 }, (_, i) => `cooldown:login:+91987658${String(i).padStart(4, '0')}`);
    const takes: Promise<unknown>[] = [];
    for (const key of keys) {
      takes.push(take(key));
      await Promise.resolve();
    }
    const [registered, ...taken] = await Promise.allSettled([registration, ...takes]);
    expect(registered).toMatchObject({ status: 'rejected', reason: { code: 'ALREADY_REGISTERED' } });
    for (const result of taken) expect(result).toMatchObject({ status: 'fulfilled', value: { allowed: true } });
    // Every take is committed: none joined the savepoint that was rolled back.
    expect(committed("select count(*) as n from limit_state where key like 'cooldown:login:+91987658%' and expires_at > 0")).toBe(keys.length);
    expect(await take(keys[0]!)).toMatchObject({ allowed: false });
  });

  describe("reads sharing a turn's read transaction", () => {
    let writer: Sqlite.Database;
    // Each test starts on a fresh turn: nothing of the store's left open (a batch would hold the write lock).
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    beforeEach(nextTurn);
    beforeAll(() => {
      writer = new Sqlite(file.url.slice('sqlite:'.length));
      writer.pragma('busy_timeout = 5000');
    });
    afterAll(() => writer.close());
    const insertCustomer = (phone: string) =>
      writer
        .prepare("insert into customers (phone_e164, phone_national, country_code, phone_validate, status, created_at, updated_at) values (?, ?, '+91', 1, 'active', 0, 0)")
        .run(phone, phone.slice(3)).lastInsertRowid as number;

    it("writes after this turn's reads even when another connection committed in between", async () => {
      const id = insertCustomer('+919876540001');
      // A read opens the turn's read transaction (its snapshot) ...
      expect((await store.findCustomerById(id))?.phoneE164).toBe('+919876540001');
      // ... another process commits a write, and this turn writes too: upgrading the read
      // transaction would fail at once (SQLITE_BUSY_SNAPSHOT); a fresh write transaction does not.
      insertCustomer('+919876540002');
      await store.saveChallenge(challenge('+919876540003'));
      expect(committed('select count(*) as n from otp_challenges where identifier = ?', '+919876540003')).toBe(1);
    });

    it("sees another connection's commit on the next turn", async () => {
      const first = insertCustomer('+919876540011');
      expect(await store.findCustomerById(first)).toBeDefined();
      await nextTurn();
      const second = insertCustomer('+919876540012');
      expect((await store.findCustomerById(second))?.phoneE164).toBe('+919876540012');
    });

    it('leaves no transaction open between turns (another connection can checkpoint the whole log)', async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.findCustomerByIdentifier('phone', `+91987654${String(i).padStart(4, '0')}`)));
      await nextTurn();
      // TRUNCATE needs every reader gone: a read transaction left open would make it busy.
      const [result] = writer.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      expect(result?.busy).toBe(0);
    });
  });

  describe('paused writes (the checkpoint worker starting the log over)', () => {
    let raw: Sqlite.Database;
    let group: GroupCommit;
    beforeAll(() => {
      raw = new Sqlite(file.url.slice('sqlite:'.length).replace(/\.db$/, '-pause.db'));
      raw.pragma('journal_mode = WAL');
      raw.exec('create table pause_probe (id integer primary key)');
      group = createGroupCommit(raw);
    });
    afterAll(() => group.close());
    const insert = (id: number) => group.atomically(() => raw.prepare('insert into pause_probe (id) values (?)').run(id).changes, 'write');
    const count = () => raw.prepare('select count(*) from pause_probe').pluck().get() as number;

    it('resolves the pause once the open batch has committed, holds new writes, lets reads through, then runs the writes in order', async () => {
      await insert(1); // opens a batch ...
      let paused = false;
      const pause = group.pauseWrites().then(() => {
        paused = true;
      });
      expect(paused).toBe(false); // ... which commits on the next turn
      await pause;
      expect(raw.inTransaction).toBe(false);
      const order: number[] = [];
      const held = [2, 3, 4].map((id) => insert(id).then(() => order.push(id)));
      // Reads go on while writes are held; the held writes have not run.
      expect(await group.atomically(count, 'read')).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(order).toEqual([]);
      expect(raw.inTransaction).toBe(false);
      group.resumeWrites();
      await Promise.all(held);
      expect(order).toEqual([2, 3, 4]);
      await group.durable();
      expect(count()).toBe(4);
    });

    it('pauses at once when no batch is open', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      let paused = false;
      await group.pauseWrites().then(() => {
        paused = true;
      });
      expect(paused).toBe(true);
      group.resumeWrites();
      expect(await insert(5)).toBe(1);
    });
  });
});

