// The one Store implementation, in Kysely: the same queries run on SQLite and PostgreSQL.
import { sql, type Kysely, type Selectable } from 'kysely';
import { AppError } from '../errors.js';
import type {
  Challenge,
  Channel,
  Customer,
  CustomerStatus,
  NewChallenge,
  NewCustomer,
  Purpose,
  Store,
} from '../domain/ports.js';
import { uniqueViolation, type DatabaseHandle } from './database.js';
import type { CustomersTable, Database, OtpChallengesTable } from './schema.js';

export function createStore(handle: DatabaseHandle): Store {
  const { db } = handle;

  async function findCustomerByIdentifier(channel: Channel, identifier: string): Promise<Customer | undefined> {
    const query =
      channel === 'phone'
        ? db.selectFrom('customers').selectAll().where('phone_e164', '=', identifier).where('phone_validate', '=', 1)
        : db.selectFrom('customers').selectAll().where('email', '=', identifier).where('email_validate', '=', 1);
    const row = await query.executeTakeFirst();
    return row && toCustomer(row);
  }

  function consume(executor: Kysely<Database>, id: number, codeHash: string, maxAttempts: number, nowMs: number) {
    return executor
      .deleteFrom('otp_challenges')
      .where('id', '=', id)
      .where('code_hash', '=', codeHash)
      .where('attempts', '<', maxAttempts)
      .where('expires_at', '>', nowMs)
      .returning('id')
      .executeTakeFirst();
  }

  return {
    async findCustomerById(id) {
      const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toCustomer(row);
    },

    findCustomerByIdentifier,

    async isUsernameTaken(username) {
      const row = await db.selectFrom('customers').select('id').where('username', '=', username).executeTakeFirst();
      return row !== undefined;
    },

    async saveChallenge(challenge: NewChallenge) {
      const values = {
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
      };
      const keep = (column: ProfileColumn) => sql<string | null>`coalesce(excluded.${sql.ref(column)}, otp_challenges.${sql.ref(column)})`;
      // One live code per identifier and purpose: a new code replaces the old one and its attempts;
      // profile fields a resend leaves out keep what /register said.
      await db
        .insertInto('otp_challenges')
        .values(values)
        .onConflict((oc) => oc.columns(['identifier', 'purpose']).doUpdateSet(({ ref }) => ({
          channel: ref('excluded.channel'),
          code_hash: ref('excluded.code_hash'),
          attempts: 0,
          expires_at: ref('excluded.expires_at'),
          phone_national: ref('excluded.phone_national'),
          reg_name: keep('reg_name'),
          reg_username: keep('reg_username'),
          reg_email: keep('reg_email'),
          reg_phone_e164: keep('reg_phone_e164'),
          reg_phone_national: keep('reg_phone_national'),
          reg_country_code: keep('reg_country_code'),
        })))
        .execute();
    },

    async findChallenge(identifier, purpose) {
      const row = await db
        .selectFrom('otp_challenges')
        .selectAll()
        .where('identifier', '=', identifier)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return row && toChallenge(row);
    },

    async findPhoneChallengesByNational(national, purpose) {
      const rows = await db
        .selectFrom('otp_challenges')
        .selectAll()
        .where('phone_national', 'in', national)
        .where('purpose', '=', purpose)
        .limit(10)
        .execute();
      return rows.map(toChallenge);
    },

    async consumeChallenge(id, codeHash, maxAttempts, nowMs) {
      return (await consume(db, id, codeHash, maxAttempts, nowMs)) !== undefined;
    },

    async countFailedAttempt(id, codeHash, maxAttempts) {
      const row = await db
        .updateTable('otp_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('code_hash', '=', codeHash)
        .where('attempts', '<', maxAttempts)
        .returning('attempts')
        .executeTakeFirst();
      return row?.attempts;
    },

    async registerCustomer(challenge, customer: NewCustomer) {
      try {
        return await db.transaction().execute(async (trx) => {
          if ((await consume(trx, challenge.id, challenge.codeHash, challenge.maxAttempts, challenge.nowMs)) === undefined) {
            return undefined;
          }
          // The verified owner wins: unverified claims on this identifier by other accounts are dropped.
          if (customer.phoneValidated && customer.phone !== null) {
            await trx
              .updateTable('customers')
              .set({ phone_e164: null, phone_national: null, country_code: null, updated_at: challenge.nowMs })
              .where('phone_e164', '=', customer.phone.e164)
              .where('phone_validate', '=', 0)
              .execute();
          }
          if (customer.emailValidated && customer.email !== null) {
            await trx
              .updateTable('customers')
              .set({ email: null, updated_at: challenge.nowMs })
              .where('email', '=', customer.email)
              .where('email_validate', '=', 0)
              .execute();
          }
          const row = await trx
            .insertInto('customers')
            .values({
              username: customer.username,
              name: customer.name,
              email: customer.email,
              email_validate: customer.emailValidated ? 1 : 0,
              phone_e164: customer.phone?.e164 ?? null,
              phone_national: customer.phone?.national ?? null,
              country_code: customer.phone?.countryCode ?? null,
              phone_validate: customer.phoneValidated ? 1 : 0,
              status: 'active',
              created_at: challenge.nowMs,
              updated_at: challenge.nowMs,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toCustomer(row);
        });
      } catch (error) {
        const index = uniqueViolation(error);
        if (index === undefined) throw error;
        if (index.includes('username')) throw new AppError('USERNAME_TAKEN', { cause: error });
        throw new AppError('ALREADY_REGISTERED', { cause: error });
      }
    },

    async deleteExpiredChallenges(nowMs) {
      const result = await db.deleteFrom('otp_challenges').where('expires_at', '<', nowMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}

type ProfileColumn = 'reg_name' | 'reg_username' | 'reg_email' | 'reg_phone_e164' | 'reg_phone_national' | 'reg_country_code';

function toCustomer(row: Selectable<CustomersTable>): Customer {
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

function toChallenge(row: Selectable<OtpChallengesTable>): Challenge {
  return {
    id: Number(row.id),
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
  };
}
