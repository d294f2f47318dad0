// The locales a request prefers, best first: the body's `locale`, then Accept-Language (RFC 9110
// section 12.5.4) in quality order. Only read here; which one the service has is the domain's call.

/** Enough for any real browser's header; the rest is ignored rather than parsed. */
const MAX_HEADER_CHARS = 1024;
const MAX_RANGES = 10;

export function requestedLocales(bodyLocale: string | undefined, acceptLanguage: string | string[] | undefined): string[] {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : (acceptLanguage ?? '');
  const ranges = header
    .slice(0, MAX_HEADER_CHARS)
    .split(',')
    .slice(0, MAX_RANGES)
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';').map((piece) => piece.trim());
      const q = params.find((param) => /^q=/i.test(param));
      return { tag, quality: q === undefined ? 1 : Number(q.slice(2)), index };
    })
    .filter(({ tag, quality }) => tag !== '' && tag !== '*' && Number.isFinite(quality) && quality > 0)
    // Stable: equal qualities keep the header's order.
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map(({ tag }) => tag);
  return bodyLocale === undefined ? ranges : [bodyLocale, ...ranges];
}
