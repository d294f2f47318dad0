// Table shapes as Kysely sees them. Flags are 0/1 integers and times are epoch milliseconds in
// both dialects, so one set of queries serves SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface CustomersTable {
  id: Generated<number>;
  username: string | null;
  name: string | null;
  email: string | null;
  email_validate: number;
  phone_e164: string | null;
  phone_national: string | null;
  country_code: string | null;
  phone_validate: number;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface OtpChallengesTable {
  identifier: string;
  purpose: string;
  channel: string;
  code_hash: string;
  attempts: number;
  expires_at: number;
  phone_national: string | null;
  reg_name: string | null;
  reg_username: string | null;
  reg_email: string | null;
  reg_phone_e164: string | null;
  reg_phone_national: string | null;
  reg_country_code: string | null;
  /** The code a resend replaced, alive until its own expiry (migration 004). */
  prev_code_hash: string | null;
  prev_expires_at: number | null;
}

export interface LimitStateTable {
  key: string;
  /** A GCRA arrival time (epoch ms) or a ratio bucket's count: see limit-state.ts. */
  value: number;
  expires_at: number;
}

export interface SessionsTable {
  id: string;
  customer_id: number;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  user_agent: string | null;
  client_ip: string | null;
  revoked_at: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  expires_at: number;
  spent_at: number | null;
}

export interface Database {
  customers: CustomersTable;
  otp_challenges: OtpChallengesTable;
  limit_state: LimitStateTable;
  sessions: SessionsTable;
  /** Keyed (session_id, token_hash): a token names its session. */
  refresh_tokens: RefreshTokensTable;
  /** Tokens issued before tokens named their session, keyed by token_hash alone (migration 007); read and spent, never added to. */
  legacy_refresh_tokens: RefreshTokensTable;
}
