// Message templates: per locale, per purpose, four parts (the SMS, and the email's subject, text
// and HTML), each an ICU MessageFormat string (intl-messageformat) so plurals and numbers follow
// the locale's rules. Every template is checked once, at start-up: known placeholders only, the
// code present where the customer must read it, and a trial render of every purpose.
import IntlMessageFormat from 'intl-messageformat';
import type { Purpose } from '../ports.js';

export const PURPOSES: readonly Purpose[] = ['login', 'register'];
export const PARTS = ['sms', 'email_subject', 'email_text', 'email_html'] as const;
export type Part = (typeof PARTS)[number];
export type PurposeTemplates = Record<Part, string>;
export type LocaleTemplates = Record<Purpose, PurposeTemplates>;
export type CompiledLocale = Record<Purpose, Record<Part, IntlMessageFormat>>;

/** `code`: the code, always ASCII digits; `minutes`: the code's lifetime, a number for plurals. */
export const PLACEHOLDERS = ['code', 'minutes'] as const;
/** Parts the code must appear in (a subject may leave it out: it shows in every inbox preview). */
const NEEDS_CODE: readonly Part[] = ['sms', 'email_text', 'email_html'];
/** The longest code (OTP_LENGTH is at most 10), for trial renders. */
const TRIAL_CODE = '0123456789';

/** A template that cannot be used; `source` names the file (or the built-in set) it came from. */
export class TemplateError extends Error {
  constructor(
    readonly source: string,
    problem: string,
    /** The setting to blame: TEMPLATES_DIR for a file, or the limit the template broke. */
    readonly variable = 'TEMPLATES_DIR',
  ) {
    super(`${source}: ${problem}`);
    this.name = 'TemplateError';
  }
}

/** Checks and compiles one locale's templates; throws TemplateError naming `source` and the problem. */
export function compileLocale(locale: string, templates: unknown, source: string): CompiledLocale {
  const set = readShape(templates, source);
  const compiled = {} as CompiledLocale;
  for (const purpose of PURPOSES) {
    compiled[purpose] = {} as Record<Part, IntlMessageFormat>;
    for (const part of PARTS) {
      const where = `${purpose}.${part}`;
      let format: IntlMessageFormat;
      try {
        // Tags stay literal text: the HTML part is HTML, not ICU rich text.
        format = new IntlMessageFormat(set[purpose][part], locale, undefined, { ignoreTag: true });
      } catch (error) {
        throw new TemplateError(source, `${where} is not valid ICU MessageFormat (${(error as Error).message})`);
      }
      const names = placeholdersOf(format.getAst() as AstElement[]);
      const unknown = [...names].filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
      if (unknown.length > 0) {
        throw new TemplateError(source, `${where} uses unknown placeholder {${unknown[0]}} (known: ${PLACEHOLDERS.map((name) => `{${name}}`).join(', ')})`);
      }
      if (NEEDS_CODE.includes(part) && !names.has('code')) throw new TemplateError(source, `${where} does not contain {code}`);
      for (const minutes of [1, 1440]) {
        let rendered: unknown;
        try {
          rendered = format.format({ code: TRIAL_CODE, minutes });
        } catch (error) {
          throw new TemplateError(source, `${where} does not render (${(error as Error).message})`);
        }
        if (NEEDS_CODE.includes(part) && !String(rendered).includes(TRIAL_CODE)) {
          throw new TemplateError(source, `${where} does not show {code} in every case (minutes = ${minutes})`);
        }
      }
      compiled[purpose][part] = format;
    }
  }
  return compiled;
}

/** Every purpose with every part, strings only, nothing unknown (a misspelt key is an error, not ignored). */
function readShape(templates: unknown, source: string): LocaleTemplates {
  if (!isObject(templates)) throw new TemplateError(source, 'must be a JSON object with "login" and "register"');
  for (const key of Object.keys(templates)) {
    if (!(PURPOSES as readonly string[]).includes(key)) throw new TemplateError(source, `has unknown purpose "${key}" (known: ${PURPOSES.join(', ')})`);
  }
  for (const purpose of PURPOSES) {
    const parts = templates[purpose];
    if (!isObject(parts)) throw new TemplateError(source, `has no "${purpose}" templates`);
    for (const key of Object.keys(parts)) {
      if (!(PARTS as readonly string[]).includes(key)) throw new TemplateError(source, `${purpose} has unknown template "${key}" (known: ${PARTS.join(', ')})`);
    }
    for (const part of PARTS) {
      if (typeof parts[part] !== 'string' || parts[part] === '') throw new TemplateError(source, `${purpose}.${part} is missing or not a non-empty string`);
    }
  }
  return templates as LocaleTemplates;
}

/** Overlays an operator's (possibly partial) file on a built-in locale, part by part. */
export function overlay(base: LocaleTemplates | undefined, file: unknown): unknown {
  if (base === undefined || !isObject(file)) return file;
  const merged: Record<string, unknown> = { ...file };
  for (const purpose of PURPOSES) {
    const parts = file[purpose];
    merged[purpose] = parts === undefined ? base[purpose] : isObject(parts) ? { ...base[purpose], ...parts } : parts;
  }
  return merged;
}

// The parser's element shape, as far as placeholders go (types: 1 argument, 2 number, 3 date,
// 4 time, 5 select, 6 plural, 8 tag).
interface AstElement {
  type: number;
  value?: string;
  options?: Record<string, { value: AstElement[] }>;
  children?: AstElement[];
}

/** Every element of a parsed template, nested ones (plural and select branches, tags) included. */
function* everyElement(elements: AstElement[]): Generator<AstElement> {
  for (const element of elements) {
    yield element;
    for (const option of Object.values(element.options ?? {})) yield* everyElement(option.value);
    if (element.children !== undefined) yield* everyElement(element.children);
  }
}

/** The placeholder an element uses (argument, number, date, time, select, plural), if any. */
const placeholderOf = (element: AstElement) => (element.type >= 1 && element.type <= 6 ? element.value : undefined);

function placeholdersOf(elements: AstElement[]): Set<string> {
  const found = new Set<string>();
  for (const element of everyElement(elements)) {
    const name = placeholderOf(element);
    if (name !== undefined) found.add(name);
  }
  return found;
}

/** Whether every use of {code} in the template is the plain placeholder (no select or plural on it). */
export function showsCodeAsIs(format: IntlMessageFormat): boolean {
  for (const element of everyElement(format.getAst() as AstElement[])) {
    if (placeholderOf(element) === 'code' && element.type !== 1) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
