// Which of the service's locales a request gets: the first preference (the body's `locale`, then
// Accept-Language in quality order) that names one, exactly or by a shorter form of the tag
// ("hi-IN" -> "hi", "zh-Hant-TW" -> "zh-Hant" -> "zh"); else the default. Never an error: a tag
// nobody knows just falls through.

/** A BCP 47 tag in canonical form, lower-cased for lookup; undefined when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0]?.toLowerCase();
  } catch {
    return undefined;
  }
}

export function chooseLocale(preferences: readonly string[], available: ReadonlySet<string>, fallback: string): string {
  for (const preference of preferences) {
    let tag = canonicalLocale(preference);
    while (tag !== undefined && tag !== '') {
      if (available.has(tag)) return tag;
      const cut = tag.lastIndexOf('-');
      tag = cut === -1 ? undefined : tag.slice(0, cut);
    }
  }
  return fallback;
}
