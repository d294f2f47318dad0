import { type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

// A resend keeps the code it replaces alive until that code's own expiry (OTP_ACCEPT_PREVIOUS_CODE):
// the challenge row holds the previous code's keyed hash and expiry beside the current one, so
// "either code completes the verify, using either ends both" stays one conditional statement.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('otp_challenges').addColumn('prev_code_hash', 'text').execute();
  await db.schema.alterTable('otp_challenges').addColumn('prev_expires_at', bigint).execute();
}
