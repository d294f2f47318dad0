// The one Store implementation, in Kysely: the same queries run on SQLite and PostgreSQL.
// Every query is built once here (prepareQuery) and only bound per request.
import { sql, type Kysely, type Selectable } from 'kysely';
import { AppError } from '../errors.js';
import type { Challenge, ChallengeKey, Channel, Customer, CustomerStatus, NewChallenge, NewCustomer, Purpose, Store } from '../domain/ports.js';
import { uniqueViolation, type DatabaseHandle } from './database.js';
import { prepareQuery } from './prepared.js';
import type { CustomersTable, Database, OtpChallengesTable } from './schema.js';

type ChallengeRow = Selectable<OtpChallengesTable>;
type KeyArgs = { identifier: string; purpose: Purpose; code_hash: string };
type SaveArgs = ChallengeRow & { keep: number; now: number; max: number };

function prepareQueries(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    customerById: prepareQuery<{ id: number }, Selectable<CustomersTable>>(handle, (arg) =>
      db.selectFrom('customers').selectAll().where('id', '=', arg('id')),
    ),
    // Only a verified phone or email identifies an account. The flag is written into the SQL, not
    // bound: a bound value there decides whether the partial unique index applies, so SQLite would
    // re-plan the statement on every call (about 25 µs each) and PostgreSQL's generic plan could not use it.
    customerByPhone: prepareQuery<{ phone: string }, Selectable<CustomersTable>>(handle, (arg) =>
      db.selectFrom('customers').selectAll().where('phone_e164', '=', arg('phone')).where('phone_validate', '=', sql.lit(1)),
    ),
    customerByEmail: prepareQuery<{ email: string }, Selectable<CustomersTable>>(handle, (arg) =>
      db.selectFrom('customers').selectAll().where('email', '=', arg('email')).where('email_validate', '=', sql.lit(1)),
    ),
    usernameTaken: prepareQuery<{ username: string }, { id: number }>(handle, (arg) =>
      db.selectFrom('customers').select('id').where(sql`lower(username)`, '=', sql`lower(${arg('username')})`),
    ),
    // A new code replaces the old one and its profile fields (never merged: a stranger's fields must
    // not outlive the code sent with them). With `keep`, the replaced code stays as the previous one
    // while it is unexpired and has attempts left, and its attempts carry over (one budget for the
    // pair); the one before it is dropped. Decided in the same statement, on the row as it was.
    saveChallenge: prepareQuery<SaveArgs, never>(handle, (arg) => {
      const keeps = sql<boolean>`${arg('keep')} = 1 and otp_challenges.expires_at > ${arg('now')} and otp_challenges.attempts < ${arg('max')}`;
      return db
        .insertInto('otp_challenges')
        .values({
          identifier: arg('identifier'),
          purpose: arg('purpose'),
          channel: arg('channel'),
          code_hash: arg('code_hash'),
          attempts: 0,
          expires_at: arg('expires_at'),
          phone_national: arg('phone_national'),
          reg_name: arg('reg_name'),
          reg_username: arg('reg_username'),
          reg_email: arg('reg_email'),
          reg_phone_e164: arg('reg_phone_e164'),
          reg_phone_national: arg('reg_phone_national'),
          reg_country_code: arg('reg_country_code'),
          prev_code_hash: null,
          prev_expires_at: null,
        })
        .onConflict((oc) =>
          oc.columns(['identifier', 'purpose']).doUpdateSet(({ ref }) => ({
            channel: ref('excluded.channel'),
            code_hash: ref('excluded.code_hash'),
            attempts: sql<number>`case when ${keeps} then otp_challenges.attempts else 0 end`,
            expires_at: ref('excluded.expires_at'),
            phone_national: ref('excluded.phone_national'),
            reg_name: ref('excluded.reg_name'),
            reg_username: ref('excluded.reg_username'),
            reg_email: ref('excluded.reg_email'),
            reg_phone_e164: ref('excluded.reg_phone_e164'),
            reg_phone_national: ref('excluded.reg_phone_national'),
            reg_country_code: ref('excluded.reg_country_code'),
            prev_code_hash: sql<string | null>`case when ${keeps} then otp_challenges.code_hash else null end`,
            prev_expires_at: sql<number | null>`case when ${keeps} then otp_challenges.expires_at else null end`,
          })),
        );
    }),
    challenge: prepareQuery<{ identifier: string; purpose: Purpose }, Selectable<OtpChallengesTable>>(handle, (arg) =>
      db.selectFrom('otp_challenges').selectAll().where('identifier', '=', arg('identifier')).where('purpose', '=', arg('purpose')),
    ),
    phoneChallengesByNational: prepareQuery<{ national: string; stripped: string; purpose: Purpose }, Selectable<OtpChallengesTable>>(
      handle,
      (arg) =>
        db
          .selectFrom('otp_challenges')
          .selectAll()
          .where('phone_national', 'in', [arg('national'), arg('stripped')])
          .where('purpose', '=', arg('purpose'))
          .limit(10),
    ),
    // Single use: a conditional delete that exactly one caller can win, and only while the hash is
    // the current code's or the previous one's, that code is unexpired and attempts are left.
    // Deleting the row ends both codes.
    consume: prepareQuery<KeyArgs & { max: number; now: number }, { identifier: string }>(handle, (arg) =>
      db
        .deleteFrom('otp_challenges')
        .where('identifier', '=', arg('identifier'))
        .where('purpose', '=', arg('purpose'))
        .where('attempts', '<', arg('max'))
        .where((eb) =>
          eb.or([
            eb.and([eb('code_hash', '=', arg('code_hash')), eb('expires_at', '>', arg('now'))]),
            eb.and([eb('prev_code_hash', '=', arg('code_hash')), eb('prev_expires_at', '>', arg('now'))]),
          ]),
        )
        .returning('identifier'),
    ),
    // Guarded increment of the pair's one budget: of parallel wrong guesses at most `max` count,
    // and a guess still counts when a resend replaced the code it was read with.
    failedAttempt: prepareQuery<KeyArgs & { max: number }, { attempts: number }>(handle, (arg) =>
      db
        .updateTable('otp_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('identifier', '=', arg('identifier'))
        .where('purpose', '=', arg('purpose'))
        .where((eb) => eb.or([eb('code_hash', '=', arg('code_hash')), eb('prev_code_hash', '=', arg('code_hash'))]))
        .where('attempts', '<', arg('max'))
        .returning('attempts'),
    ),
    // The verified owner wins: unverified claims on the identifier by other accounts are dropped.
    dropPhoneClaims: prepareQuery<{ phone: string; now: number }, never>(handle, (arg) =>
      db
        .updateTable('customers')
        .set({ phone_e164: null, phone_national: null, country_code: null, updated_at: arg('now') })
        .where('phone_e164', '=', arg('phone'))
        .where('phone_validate', '=', sql.lit(0)),
    ),
    dropEmailClaims: prepareQuery<{ email: string; now: number }, never>(handle, (arg) =>
      db.updateTable('customers').set({ email: null, updated_at: arg('now') }).where('email', '=', arg('email')).where('email_validate', '=', sql.lit(0)),
    ),
    insertCustomer: prepareQuery<Omit<Selectable<CustomersTable>, 'id' | 'status'>, Selectable<CustomersTable>>(handle, (arg) =>
      db
        .insertInto('customers')
        .values({
          username: arg('username'),
          name: arg('name'),
          email: arg('email'),
          email_validate: arg('email_validate'),
          phone_e164: arg('phone_e164'),
          phone_national: arg('phone_national'),
          country_code: arg('country_code'),
          phone_validate: arg('phone_validate'),
          status: 'active',
          created_at: arg('created_at'),
          updated_at: arg('updated_at'),
        })
        .returningAll(),
    ),
    deleteExpired: prepareQuery<{ before: number }, never>(handle, (arg) =>
      db.deleteFrom('otp_challenges').where('expires_at', '<', arg('before')),
    ),
  };
}

export function createStore(handle: DatabaseHandle): Store {
  const { db } = handle;
  const q = prepareQueries(handle);

  return {
    async findCustomerById(id) {
      const [row] = await q.customerById.execute({ id });
      return row && toCustomer(row);
    },

    async findCustomerByIdentifier(channel: Channel, identifier: string) {
      const [row] = channel === 'phone' ? await q.customerByPhone.execute({ phone: identifier }) : await q.customerByEmail.execute({ email: identifier });
      return row && toCustomer(row);
    },

    async isUsernameTaken(username) {
      return (await q.usernameTaken.execute({ username })).length > 0;
    },

    async saveChallenge(challenge: NewChallenge) {
      await q.saveChallenge.run({
        identifier: challenge.identifier,
        purpose: challenge.purpose,
        channel: challenge.channel,
        code_hash: challenge.codeHash,
        attempts: 0,
        expires_at: challenge.expiresAtMs,
        phone_national: challenge.phoneNational,
        reg_name: challenge.profile.name,
        reg_username: challenge.profile.username,
        reg_email: challenge.profile.email,
        reg_phone_e164: challenge.profile.phone?.e164 ?? null,
        reg_phone_national: challenge.profile.phone?.national ?? null,
        reg_country_code: challenge.profile.phone?.countryCode ?? null,
        prev_code_hash: null,
        prev_expires_at: null,
        keep: challenge.replacing.keepPrevious ? 1 : 0,
        now: challenge.replacing.nowMs,
        max: challenge.replacing.maxAttempts,
      });
    },

    async findChallenge(identifier, purpose) {
      const [row] = await q.challenge.execute({ identifier, purpose });
      return row && toChallenge(row);
    },

    async findPhoneChallengesByNational(national, purpose) {
      const [first = '', second = first] = national;
      return (await q.phoneChallengesByNational.execute({ national: first, stripped: second, purpose })).map(toChallenge);
    },

    async consumeChallenge(key, codeHash, maxAttempts, nowMs) {
      return (await q.consume.execute({ ...keyArgs(key, codeHash), max: maxAttempts, now: nowMs })).length === 1;
    },

    async countFailedAttempt(key, codeHash, maxAttempts) {
      const [row] = await q.failedAttempt.execute({ ...keyArgs(key, codeHash), max: maxAttempts });
      return row?.attempts;
    },

    async registerCustomer(challenge, customer: NewCustomer) {
      const now = challenge.nowMs;
      try {
        const created = await db.transaction().execute(async (trx) => {
          const consumed = await q.consume.execute({ ...keyArgs(challenge.key, challenge.codeHash), max: challenge.maxAttempts, now }, trx);
          if (consumed.length === 0) return undefined;
          if (customer.phoneValidated && customer.phone !== null) await q.dropPhoneClaims.run({ phone: customer.phone.e164, now }, trx);
          if (customer.emailValidated && customer.email !== null) await q.dropEmailClaims.run({ email: customer.email, now }, trx);
          const [row] = await q.insertCustomer.execute(
            {
              username: customer.username,
              name: customer.name,
              email: customer.email,
              email_validate: customer.emailValidated ? 1 : 0,
              phone_e164: customer.phone?.e164 ?? null,
              phone_national: customer.phone?.national ?? null,
              country_code: customer.phone?.countryCode ?? null,
              phone_validate: customer.phoneValidated ? 1 : 0,
              created_at: now,
              updated_at: now,
            },
            trx,
          );
          if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
          return toCustomer(row);
        });
        // Answered only once the account is committed.
        await handle.durable();
        return created;
      } catch (error) {
        const index = uniqueViolation(error);
        if (index === undefined) throw error;
        if (index.includes('username')) throw new AppError('USERNAME_TAKEN', { cause: error });
        throw new AppError('ALREADY_REGISTERED', { cause: error });
      }
    },

    async deleteExpiredChallenges(nowMs) {
      return q.deleteExpired.run({ before: nowMs });
    },

    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}

export function toCustomer(row: Selectable<CustomersTable>): Customer {
  return {
    id: Number(row.id),
    username: row.username,
    name: row.name,
    email: row.email,
    phoneE164: row.phone_e164,
    phoneNational: row.phone_national,
    countryCode: row.country_code,
    phoneValidated: row.phone_validate === 1,
    emailValidated: row.email_validate === 1,
    status: row.status as CustomerStatus,
    createdAtMs: Number(row.created_at),
  };
}

function keyArgs(key: ChallengeKey, codeHash: string): KeyArgs {
  return { identifier: key.identifier, purpose: key.purpose, code_hash: codeHash };
}

function toChallenge(row: Selectable<OtpChallengesTable>): Challenge {
  return {
    identifier: row.identifier,
    channel: row.channel as Channel,
    purpose: row.purpose as Purpose,
    codeHash: row.code_hash,
    attempts: row.attempts,
    expiresAtMs: Number(row.expires_at),
    phoneNational: row.phone_national,
    profile: {
      name: row.reg_name,
      username: row.reg_username,
      email: row.reg_email,
      phone:
        row.reg_phone_e164 === null
          ? null
          : { e164: row.reg_phone_e164, national: row.reg_phone_national ?? '', countryCode: row.reg_country_code ?? '' },
    },
    previous: row.prev_code_hash === null ? null : { codeHash: row.prev_code_hash, expiresAtMs: Number(row.prev_expires_at) },
  };
}
