import { describe, expect, it } from 'vitest';
import { spawnService } from '../support/process.js';
import { startService } from '../support/service.js';

describe('start-up', () => {
  it('warns loudly when APP_DEBUG is on in production', async () => {
    const service = await startService({ env: { NODE_ENV: 'production', APP_DEBUG: 'true' } });
    try {
      expect(service.logs()).toMatch(/"level":40.*APP_DEBUG is on in production/);
    } finally {
      await service.close();
    }
  });

  it('refuses to start in production without JWT_SECRET, naming the variable', async () => {
    const started = spawnService({ NODE_ENV: 'production', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console', ALLOW_CONSOLE_DELIVERY: 'true' });
    await expect(started).rejects.toThrow(/exited with 1 before listening:\nInvalid configuration: JWT_SECRET must be set in production/);
  });
});
