import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

// Kysely<any>: a migration works on the schema as it was then, not on today's types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('customers')
    .addColumn('id', 'integer', (col) =>
      dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('username', 'text')
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('email_validate', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('phone_e164', 'text')
    .addColumn('phone_national', 'text')
    .addColumn('country_code', 'text')
    .addColumn('phone_validate', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('active').check(sql`status in ('active', 'inactive', 'blocked')`))
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('updated_at', bigint, (col) => col.notNull())
    .execute();
  // Only a verified phone or email is unique: an unverified claim never blocks its real owner.
  await db.schema.createIndex('customers_phone_verified_unique').on('customers').column('phone_e164').unique().where(sql.ref('phone_validate'), '=', 1).execute();
  await db.schema.createIndex('customers_email_verified_unique').on('customers').column('email').unique().where(sql.ref('email_validate'), '=', 1).execute();
  // "Asha" and "asha" are one username: shown as typed, unique regardless of case.
  await db.schema.createIndex('customers_username_unique').on('customers').expression(sql`lower(username)`).unique().execute();
  await db.schema.createIndex('customers_phone_e164').on('customers').column('phone_e164').execute();
  await db.schema.createIndex('customers_email').on('customers').column('email').execute();

  // Keyed by what it is looked up by; on SQLite without a rowid, so a write touches one B-tree
  // (plus the national-number index) instead of three.
  await db.schema
    .createTable('otp_challenges')
    .addColumn('identifier', 'text', (col) => col.notNull())
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('phone_national', 'text')
    .addColumn('reg_name', 'text')
    .addColumn('reg_username', 'text')
    .addColumn('reg_email', 'text')
    .addColumn('reg_phone_e164', 'text')
    .addColumn('reg_phone_national', 'text')
    .addColumn('reg_country_code', 'text')
    .addPrimaryKeyConstraint('otp_challenges_pk', ['identifier', 'purpose'])
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  // Expired codes and ended windows are swept by a periodic scan, not indexed: an index on the
  // expiry would be one more B-tree written on every request.
  await db.schema.createIndex('otp_challenges_national').on('otp_challenges').columns(['phone_national', 'purpose']).execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('count', 'integer', (col) => col.notNull())
    .addColumn('reset_at', bigint, (col) => col.notNull())
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
}
