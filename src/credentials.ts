// URLs as they may be shown in a message: a DATABASE_URL, REDIS_URL or SMTP_URL carries a password,
// and a configuration or start-up error is printed where anyone reading the console can see it.

const SCHEME = /^[a-z][a-z0-9+.-]*:(?:\/\/)?/i;

/**
 * The URL with its credentials hidden: everything between the scheme and the last "@" (user and
 * password, even a password with an unescaped "/" or "?") becomes "***", and a query string or
 * fragment (`?password=...` is valid for PostgreSQL and Redis) becomes "?***". Works on strings
 * that do not parse as URLs too, since a typo is exactly when the value gets echoed.
 */
export function withoutCredentials(url: string): string {
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at !== -1) rest = `***${rest.slice(at)}`;
  const query = rest.search(/[?#]/);
  if (query !== -1) rest = `${rest.slice(0, query)}?***`;
  return scheme + rest;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]+/gi;

/** Text (an error printed at start-up) with every `scheme://...` in it passed through withoutCredentials. */
export function withoutUrlCredentials(text: string): string {
  return text.replace(URL_IN_TEXT, withoutCredentials);
}
