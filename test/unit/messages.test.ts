// The messages customers receive: templates per locale, the locale a request gets, the autofill
// lines, and SMS encoding and segments (the cases come from the GSM 03.38 alphabet and its
// extension table, and from UCS-2's 70/67 code units a segment).
import fc from 'fast-check';
import IntlMessageFormat from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { withAutofill } from '../../src/domain/messages/autofill.js';
import { BUILT_IN_LOCALES, createMessageCatalogue, type MessageSettings } from '../../src/domain/messages/catalogue.js';
import { chooseLocale } from '../../src/domain/messages/locale.js';
import { measureSms } from '../../src/domain/messages/segments.js';
import { TemplateError, compileLocale } from '../../src/domain/messages/templates.js';
import { requestedLocales } from '../../src/http/locale.js';
import { DEFAULT_MESSAGE_SETTINGS } from '../support/messages.js';

const CODE = '048213';
const WEBOTP_LINE = /^@shop\.example\.com #048213$/;

function catalogue(settings: Partial<MessageSettings> = {}, files: Parameters<typeof createMessageCatalogue>[1] = []) {
  return createMessageCatalogue({ ...DEFAULT_MESSAGE_SETTINGS, ...settings }, files);
}

function templateProblem(build: () => unknown): TemplateError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('the template was accepted');
}

describe('SMS segments', () => {
  it.each([
    { case: '160 GSM-7 characters: one segment', text: 'a'.repeat(160), encoding: 'GSM-7', segments: 1 },
    { case: '161 GSM-7 characters: two segments of 153', text: 'a'.repeat(161), encoding: 'GSM-7', segments: 2 },
    { case: '306 GSM-7 characters: two segments', text: 'a'.repeat(306), encoding: 'GSM-7', segments: 2 },
    { case: '307 GSM-7 characters: three segments', text: 'a'.repeat(307), encoding: 'GSM-7', segments: 3 },
    { case: 'GSM-7 basic-table accents (é ñ ü à) stay GSM-7', text: 'éñüà'.repeat(40), encoding: 'GSM-7', segments: 1 },
    { case: '80 extension-table characters (€) take two septets each: one segment', text: '€'.repeat(80), encoding: 'GSM-7', segments: 1 },
    { case: '81 extension-table characters: two segments', text: '€'.repeat(81), encoding: 'GSM-7', segments: 2 },
    { case: '160 septets of extension-table characters [ ] { } ~ ^ | \\: one segment', text: '[]{}~^|\\'.repeat(10), encoding: 'GSM-7', segments: 1 },
    { case: 'one more extension-table character: two segments', text: '[]{}~^|\\'.repeat(10) + '|', encoding: 'GSM-7', segments: 2 },
    { case: 'one character outside GSM-7 (ó) makes it UCS-2', text: 'ó' + 'a'.repeat(69), encoding: 'UCS-2', segments: 1 },
    { case: '71 UCS-2 characters: two segments of 67', text: 'ó'.repeat(71), encoding: 'UCS-2', segments: 2 },
    { case: '134 UCS-2 characters: two segments', text: 'ó'.repeat(134), encoding: 'UCS-2', segments: 2 },
    { case: '135 UCS-2 characters: three segments', text: 'ó'.repeat(135), encoding: 'UCS-2', segments: 3 },
    { case: 'Devanagari is UCS-2', text: 'आपका कोड', encoding: 'UCS-2', segments: 1 },
  ])('$case', ({ text, encoding, segments }) => {
    expect(measureSms(text)).toMatchObject({ encoding, segments });
  });

  it('counts an extension-table character as 2 septets, and UCS-2 in UTF-16 units', () => {
    expect(measureSms('€').units).toBe(2);
    expect(measureSms('कि').units).toBe(2);
  });
});

describe('built-in templates', () => {
  const { messages } = catalogue();
  const cases = Object.keys(BUILT_IN_LOCALES).flatMap((locale) =>
    (['login', 'register'] as const).flatMap((purpose) => (['phone', 'email'] as const).map((channel) => ({ locale, purpose, channel }))),
  );

  it.each(cases)('$locale $purpose $channel renders with the code in ASCII digits', ({ locale, purpose, channel }) => {
    const message = messages.render({ channel, purpose, code: CODE, ttlMinutes: 10, locales: [locale] });
    expect(message.locale).toBe(locale);
    expect(message.text).toContain(CODE);
    // The expiry in ASCII digits too: no locale digit shaping anywhere.
    expect(message.text).toContain('10');
    expect(message.text).not.toMatch(/[\u0966-\u096F]/);
    if (channel === 'email') {
      expect(message.subject).toBeTruthy();
      expect(message.html).toContain(`>${CODE}</div>`);
    } else {
      expect(message.subject).toBeUndefined();
      expect(message.segments).toBe(measureSms(message.text).segments);
    }
  });

  it('says "1 minute" and "10 minutes" in English (ICU plurals)', () => {
    expect(messages.render({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 1, locales: ['en'] }).text).toContain('in 1 minute.');
    expect(messages.render({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 10, locales: ['en'] }).text).toContain('in 10 minutes.');
  });

  it('keeps every built-in SMS within two segments with a 10-digit code, a day-long expiry and both autofill lines', () => {
    const built = catalogue({ otpLength: 10, ttlMinutes: 1440, webotpDomain: 'a-long-shop-name.example.com', androidAppHash: 'FA+9qCX9VSu' });
    for (const measure of built.sms) expect(measure.segments, `${measure.locale} ${measure.purpose}`).toBeLessThanOrEqual(2);
    expect(built.sms.filter((measure) => measure.locale === 'en' || measure.locale === 'es').every((measure) => measure.encoding === 'GSM-7')).toBe(true);
  });
});

describe('the SMS text made once and filled with each code', () => {
  const settings = { ttlMinutes: 10, webotpDomain: 'shop.example.com', androidAppHash: 'FA+9qCX9VSu' };

  it('gives, for any code, exactly what formatting the template gives, in every built-in locale', () => {
    const { messages } = catalogue(settings);
    const formatted = (locale: string, purpose: 'login' | 'register', code: string) =>
      withAutofill(String(new IntlMessageFormat(BUILT_IN_LOCALES[locale]![purpose].sms, locale, undefined, { ignoreTag: true }).format({ code, minutes: 10 })), code, {
        ...DEFAULT_MESSAGE_SETTINGS,
        ...settings,
      });
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(BUILT_IN_LOCALES)),
        fc.constantFrom('login' as const, 'register' as const),
        fc.stringMatching(/^[0-9]{6}$/),
        (locale, purpose, code) => {
          expect(messages.render({ channel: 'phone', purpose, code, ttlMinutes: 10, locales: [locale] }).text).toBe(formatted(locale, purpose, code));
        },
      ),
    );
  });

  it('formats on every send a template that selects on the code', () => {
    const sms = '{code, select, 424242 {Lucky you: {code}} other {Your code is {code}}}';
    const { messages } = catalogue({}, [{ locale: 'en', source: 'en.json', templates: { login: { sms } } }]);
    const text = (code: string) => messages.render({ channel: 'phone', purpose: 'login', code, ttlMinutes: 10, locales: [] }).text;
    expect(text('424242')).toBe('Lucky you: 424242');
    expect(text('111111')).toBe('Your code is 111111');
  });

  it('formats on every send a template holding the character that stands for the code', () => {
    const { messages } = catalogue({}, [{ locale: 'en', source: 'en.json', templates: { login: { sms: 'Code {code}\u0000.' } } }]);
    expect(messages.render({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 10, locales: [] }).text).toBe(`Code ${CODE}\u0000.`);
  });

  it('formats an expiry other than the configured one', () => {
    const { messages } = catalogue({ ttlMinutes: 10 });
    expect(messages.render({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 1, locales: ['en'] }).text).toContain('in 1 minute.');
  });
});

describe('the locale a request gets', () => {
  const available = new Set(['en', 'hi', 'es', 'pt-br']);
  it.each([
    { case: 'an exact match', preferences: ['hi'], expected: 'hi' },
    { case: 'a region narrows to its language', preferences: ['hi-IN'], expected: 'hi' },
    { case: 'case does not matter', preferences: ['PT-br'], expected: 'pt-br' },
    { case: 'script and region are cut one at a time', preferences: ['es-Latn-MX'], expected: 'es' },
    { case: 'the first known preference wins', preferences: ['fr-FR', 'fr', 'es', 'hi'], expected: 'es' },
    { case: 'nothing known falls back', preferences: ['fr', 'de'], expected: 'en' },
    { case: 'a malformed tag is skipped, not an error', preferences: ['!!', 'hi'], expected: 'hi' },
    { case: 'no preference falls back', preferences: [], expected: 'en' },
  ])('$case', ({ preferences, expected }) => {
    expect(chooseLocale(preferences, available, 'en')).toBe(expected);
  });

  it.each([
    { header: 'hi-IN,hi;q=0.9,en;q=0.8', expected: ['hi-IN', 'hi', 'en'] },
    { header: 'en;q=0.5, es', expected: ['es', 'en'] },
    { header: 'fr;q=0, *;q=0.1, hi;q=0.2', expected: ['hi'] },
    { header: 'de;q=abc, es', expected: ['es'] },
  ])('reads Accept-Language "$header" in quality order', ({ header, expected }) => {
    expect(requestedLocales(undefined, header)).toEqual(expected);
  });

  it('puts the body locale before Accept-Language', () => {
    expect(requestedLocales('es', 'hi,en')).toEqual(['es', 'hi', 'en']);
  });
});

describe('autofill lines', () => {
  it('adds the WebOTP line as the last line: "@" host " #" code', () => {
    const text = withAutofill('Your code is 048213.', CODE, { webotpDomain: 'shop.example.com', androidAppHash: undefined });
    expect(text.split('\n').at(-1)).toMatch(WEBOTP_LINE);
  });

  it('adds the 11-character app hash on its own line', () => {
    const text = withAutofill('Your code is 048213.', CODE, { webotpDomain: undefined, androidAppHash: 'FA+9qCX9VSu' });
    expect(text.split('\n')).toEqual(['Your code is 048213.', 'FA+9qCX9VSu']);
  });

  it('keeps the WebOTP line last when both are set', () => {
    const text = withAutofill('Your code is 048213.', CODE, { webotpDomain: 'shop.example.com', androidAppHash: 'FA+9qCX9VSu' });
    expect(text.split('\n')).toEqual(['Your code is 048213.', 'FA+9qCX9VSu', '@shop.example.com #048213']);
  });

  it('adds nothing when neither is set', () => {
    expect(withAutofill('Your code is 048213.', CODE, { webotpDomain: undefined, androidAppHash: undefined })).toBe('Your code is 048213.');
  });
});

describe('template checks', () => {
  const good = BUILT_IN_LOCALES.en!;
  const withSms = (sms: string) => ({ ...good, login: { ...good.login, sms } });

  it.each([
    { case: 'an unknown placeholder', templates: withSms('Code {code}, hello {name}'), problem: /login\.sms uses unknown placeholder \{name\}/ },
    { case: 'no code', templates: withSms('Your code expires in {minutes} minutes'), problem: /login\.sms does not contain \{code\}/ },
    { case: 'a code shown only in some plural forms', templates: withSms('{minutes, plural, one {soon} other {{code}}}'), problem: /does not show \{code\} in every case/ },
    { case: 'invalid ICU syntax', templates: withSms('Your code is {code'), problem: /login\.sms is not valid ICU MessageFormat/ },
    { case: 'a missing purpose', templates: { login: good.login }, problem: /has no "register" templates/ },
    { case: 'a misspelt template name', templates: { ...good, login: { ...good.login, smss: 'x' } }, problem: /login has unknown template "smss"/ },
    { case: 'a missing part', templates: { ...good, login: { sms: good.login.sms } }, problem: /login\.email_subject is missing/ },
  ])('refuses $case, naming the source', ({ templates, problem }) => {
    const error = templateProblem(() => compileLocale('en', templates, '/etc/templates/en.json'));
    expect(error.message).toMatch(/^\/etc\/templates\/en\.json: /);
    expect(error.message).toMatch(problem);
  });

  it('lets a file override one template of a built-in locale and keeps the rest', () => {
    const { messages } = catalogue({}, [{ locale: 'en', source: 'en.json', templates: { login: { sms: 'Shop code: {code}' } } }]);
    expect(messages.render({ channel: 'phone', purpose: 'login', code: CODE, ttlMinutes: 10, locales: [] }).text).toBe(`Shop code: ${CODE}`);
    expect(messages.render({ channel: 'phone', purpose: 'register', code: CODE, ttlMinutes: 10, locales: [] }).text).toContain('verification code');
  });

  it('refuses a new locale that does not define every template', () => {
    const error = templateProblem(() => catalogue({}, [{ locale: 'fr', source: 'fr.json', templates: { login: { sms: 'Code {code}' } } }]));
    expect(error.message).toMatch(/^fr\.json: /);
  });

  it('refuses a DEFAULT_LOCALE with no templates', () => {
    expect(templateProblem(() => catalogue({ defaultLocale: 'fr' })).variable).toBe('DEFAULT_LOCALE');
  });

  it('refuses an SMS over SMS_MAX_SEGMENTS, naming the template, its encoding and size', () => {
    const error = templateProblem(() => catalogue({ smsMaxSegments: 1, webotpDomain: 'shop.example.com' }));
    expect(error.variable).toBe('SMS_MAX_SEGMENTS');
    expect(error.message).toMatch(/built-in "hi" templates: login\.sms renders to 2 UCS-2 segments \(\d+ UTF-16 units .* more than SMS_MAX_SEGMENTS=1/);
  });
});
