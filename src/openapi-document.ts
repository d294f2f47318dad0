// The API reference as the app serves it, built from the real wiring on a throwaway SQLite database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeApp } from './compose.js';
import { loadConfig } from './config.js';
import { packageRoot } from './version.js';

/** The document, pretty-printed with a final newline: exactly the committed openapi.json. */
export async function generateOpenApiDocument(): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'customer-auth-openapi-'));
  try {
    const config = loadConfig({
      NODE_ENV: 'development',
      DATABASE_URL: `sqlite:${join(directory, 'openapi.db')}`,
      JWT_SECRET: randomBytes(48).toString('base64'),
      LOG_LEVEL: 'silent',
      LOG_FORMAT: 'json',
      API_DOCS: 'true',
    });
    const { app } = await composeApp({ ...config, jwtSecret: config.jwtSecret! });
    try {
      await app.ready();
      return `${JSON.stringify(app.swagger(), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** openapi.json beside package.json. */
export function openApiPath(): string {
  return join(packageRoot(), 'openapi.json');
}
