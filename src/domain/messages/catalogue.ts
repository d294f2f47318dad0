// The messages customers receive, from the built-in templates (en, hi, es) overlaid with the
// operator's TEMPLATES_DIR files. Everything is checked and measured once, at start-up; a send
// only picks a locale and fills in two values.
import type { Messages, MessageRequest, Purpose, RenderedMessage } from '../ports.js';
import { withAutofill, type AutofillSettings } from './autofill.js';
import { chooseLocale, canonicalLocale } from './locale.js';
import { en } from './locales/en.js';
import { es } from './locales/es.js';
import { hi } from './locales/hi.js';
import { measureSms, type SmsSize } from './segments.js';
import { PURPOSES, TemplateError, compileLocale, overlay, showsCodeAsIs, type CompiledLocale, type LocaleTemplates } from './templates.js';

export const BUILT_IN_LOCALES: Record<string, LocaleTemplates> = { en, hi, es };

export interface MessageSettings extends AutofillSettings {
  /** DEFAULT_LOCALE: when no preference names a locale the service has. */
  defaultLocale: string;
  otpLength: number;
  ttlMinutes: number;
  /** SMS_MAX_SEGMENTS: start-up fails when an SMS template renders to more. */
  smsMaxSegments: number;
}

/** An operator's template file: `locale` from its name, `source` (its path) for messages. */
export interface TemplateFile {
  locale: string;
  source: string;
  templates: unknown;
}

export interface SmsMeasure extends SmsSize {
  locale: string;
  purpose: Purpose;
}

export interface MessageCatalogue {
  messages: Messages;
  /** Every SMS template measured with the longest code and the configured expiry. */
  sms: SmsMeasure[];
  /** Things an operator should know (an SMS Retriever message over 140 bytes). */
  warnings: string[];
}

/** Builds the catalogue or throws TemplateError naming the file (or built-in set) and the problem. */
export function createMessageCatalogue(settings: MessageSettings, files: readonly TemplateFile[]): MessageCatalogue {
  const locales = new Map<string, { compiled: CompiledLocale; source: string }>();
  for (const [locale, templates] of Object.entries(BUILT_IN_LOCALES)) {
    locales.set(locale, { compiled: compileLocale(locale, templates, `built-in "${locale}" templates`), source: `built-in "${locale}" templates` });
  }
  for (const file of files) {
    const locale = canonicalLocale(file.locale);
    if (locale === undefined) throw new TemplateError(file.source, `the file name must be a BCP 47 locale such as hi.json or pt-BR.json`);
    locales.set(locale, { compiled: compileLocale(locale, overlay(BUILT_IN_LOCALES[locale], file.templates), file.source), source: file.source });
  }
  const defaultLocale = canonicalLocale(settings.defaultLocale);
  if (defaultLocale === undefined || !locales.has(defaultLocale)) {
    throw new TemplateError(`DEFAULT_LOCALE "${settings.defaultLocale}"`, `has no templates (known: ${[...locales.keys()].join(', ')})`, 'DEFAULT_LOCALE');
  }

  // Every code has exactly OTP_LENGTH digits and the expiry is fixed, so a template's size is the
  // same on every send: measured here once, and the per-send figure is this one.
  const longestCode = '9'.repeat(settings.otpLength);
  const sms: SmsMeasure[] = [];
  const smsShapes = new Map<string, SmsShape>();
  const warnings: string[] = [];
  for (const [locale, { compiled, source }] of locales) {
    for (const purpose of PURPOSES) {
      const text = withAutofill(String(compiled[purpose].sms.format({ code: longestCode, minutes: settings.ttlMinutes })), longestCode, settings);
      const size = measureSms(text);
      if (size.segments > settings.smsMaxSegments) {
        throw new TemplateError(
          source,
          `${purpose}.sms renders to ${size.segments} ${size.encoding} segments (${size.units} ${size.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'} with a ${settings.otpLength}-digit code and the autofill lines), more than SMS_MAX_SEGMENTS=${settings.smsMaxSegments}`,
          'SMS_MAX_SEGMENTS',
        );
      }
      if (settings.androidAppHash !== undefined && size.segments > 1) {
        warnings.push(`${source}: ${purpose}.sms is over 140 bytes (${size.segments} ${size.encoding} segments); Android's SMS Retriever may not pass it to the app`);
      }
      sms.push({ locale, purpose, ...size });
      smsShapes.set(`${locale}\n${purpose}`, { segments: size.segments, frame: frameOf(compiled[purpose].sms, settings) });
    }
  }

  const available = new Set(locales.keys());
  function render(request: MessageRequest): RenderedMessage {
    const locale = chooseLocale(request.locales, available, defaultLocale!);
    const templates = locales.get(locale)!.compiled[request.purpose];
    const values = { code: request.code, minutes: request.ttlMinutes };
    if (request.channel === 'phone') {
      const shape = smsShapes.get(`${locale}\n${request.purpose}`);
      const text =
        shape?.frame !== undefined && request.ttlMinutes === settings.ttlMinutes
          ? shape.frame.join(request.code)
          : withAutofill(String(templates.sms.format(values)), request.code, settings);
      return { locale, text, segments: shape?.segments ?? measureSms(text).segments };
    }
    return {
      locale,
      subject: String(templates.email_subject.format(values)),
      text: String(templates.email_text.format(values)),
      html: String(templates.email_html.format({ ...values, code: codeBlock(request.code) })),
    };
  }

  return { messages: { render }, sms, warnings };
}

/** An SMS template at the configured expiry: its size, and its text around the code. */
interface SmsShape {
  segments: number;
  /** The text split where the code goes (autofill lines included); undefined: formatted per send. */
  frame: string[] | undefined;
}

/** Stands for the code while the frame is worked out: no code holds it (a template that does is caught below). */
const MARKER = '\u0000';

/**
 * A send differs from the next only in the code, so the SMS text is formatted once, at the
 * configured expiry, with a marker where the code goes, and each send joins the pieces with its
 * code (ICU formatting was ~3 µs of each SMS). Only for a template that shows {code} as it is
 * (a select on the code is formatted on every send), and only when the pieces give exactly what
 * formatting gives for sample codes (a template holding the marker character itself does not).
 */
function frameOf(format: CompiledLocale[Purpose]['sms'], settings: MessageSettings): string[] | undefined {
  if (!showsCodeAsIs(format)) return undefined;
  const render = (code: string) => withAutofill(String(format.format({ code, minutes: settings.ttlMinutes })), code, settings);
  const frame = render(MARKER).split(MARKER);
  const samples = ['0', '9', '1234567890'].map((digits) => digits.repeat(settings.otpLength).slice(0, settings.otpLength));
  return samples.every((code) => frame.join(code) === render(code)) ? frame : undefined;
}

/**
 * The code in the HTML part: large, monospaced, spaced for reading aloud, selected whole with one
 * tap, and its own line even with styles off. No colours: the client's (light or dark) apply.
 */
function codeBlock(code: string): string {
  return (
    '<div style="font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:32px;line-height:40px;' +
    `font-weight:700;letter-spacing:6px;margin:24px 0;user-select:all;-webkit-user-select:all">${code}</div>`
  );
}
