// The messages customers receive, as configured: the built-in templates plus TEMPLATES_DIR's files
// (one <locale>.json each), checked and measured at start-up. A bad template stops start-up with a
// ConfigError naming the file and the problem; each SMS template's size is logged.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import { createMessageCatalogue, type TemplateFile } from '../domain/messages/catalogue.js';
import { TemplateError } from '../domain/messages/templates.js';
import type { Messages } from '../domain/ports.js';

export async function loadMessages(config: Pick<Config, 'messages' | 'otpLength' | 'otpTtlSeconds'>, logger: Logger): Promise<Messages> {
  const settings = { ...config.messages, otpLength: config.otpLength, ttlMinutes: Math.ceil(config.otpTtlSeconds / 60) };
  try {
    const files = config.messages.templatesDir === undefined ? [] : await readTemplateFiles(config.messages.templatesDir);
    const catalogue = createMessageCatalogue(settings, files);
    for (const { locale, purpose, encoding, segments, units } of catalogue.sms) {
      logger.info({ locale, purpose, encoding, segments, units }, 'SMS template measured');
    }
    for (const warning of catalogue.warnings) logger.warn(warning);
    return catalogue.messages;
  } catch (error) {
    if (error instanceof TemplateError) throw new ConfigError(error.variable, `template problem in ${error.message}`);
    throw error;
  }
}

async function readTemplateFiles(dir: string): Promise<TemplateFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new ConfigError('TEMPLATES_DIR', `cannot be read: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new ConfigError('TEMPLATES_DIR', `holds no <locale>.json file: ${dir}`);
  const files: TemplateFile[] = [];
  for (const name of names) {
    const source = join(dir, name);
    let templates: unknown;
    try {
      templates = JSON.parse(await readFile(source, 'utf8'));
    } catch (error) {
      throw new TemplateError(source, `is not valid JSON (${(error as Error).message})`);
    }
    files.push({ locale: name.slice(0, -'.json'.length), source, templates });
  }
  return files;
}
