import { describe, expect, it } from 'vitest';
import { withoutCredentials, withoutUrlCredentials } from '../../src/credentials.js';

describe('withoutCredentials', () => {
  it.each([
    ['user and password', 'postgres://auth:hunter2@db.internal:5432/auth', 'postgres://***@db.internal:5432/auth'],
    ['a password alone', 'redis://:hunter2@cache.internal:6379', 'redis://***@cache.internal:6379'],
    ['a password with an unescaped / ? and @', 'smtps://mailer:hun/ter?2@x@smtp.internal:465', 'smtps://***@smtp.internal:465'],
    ['a password in the query string', 'postgres://db.internal/auth?sslmode=require&password=hunter2', 'postgres://db.internal/auth?***'],
    ['a typo in the scheme', 'postgress://auth:hunter2@db/auth', 'postgress://***@db/auth'],
    ['one slash after the scheme', 'postgres:/auth:hunter2@db/auth', 'postgres:***@db/auth'],
    ['no scheme at all', 'auth:hunter2@db:5432/auth', 'auth:***@db:5432/auth'],
    ['nothing secret', 'https://api.twilio.com', 'https://api.twilio.com'],
    ['a SQLite path', 'sqlite:./data/customer-auth.db', 'sqlite:./data/customer-auth.db'],
  ])('hides %s', (_label, url, shown) => {
    expect(withoutCredentials(url)).toBe(shown);
  });
});

describe('withoutUrlCredentials', () => {
  it('hides the credentials of every URL in a printed error, and keeps the rest', () => {
    const printed = `TypeError: Invalid URL\n  input: 'postgres://auth:hunter2@db:99999/auth',\n  other: "redis://:s3cret@cache:6379" at line 3`;
    expect(withoutUrlCredentials(printed)).toBe(
      `TypeError: Invalid URL\n  input: 'postgres://***@db:99999/auth',\n  other: "redis://***@cache:6379" at line 3`,
    );
  });
});
