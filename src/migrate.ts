// npm run migrate: bring the database named by DATABASE_URL up to date, then exit.
import './supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';

try {
  const config = loadConfig({ ...process.env, SMS_PROVIDER: process.env.SMS_PROVIDER ?? 'console', EMAIL_PROVIDER: process.env.EMAIL_PROVIDER ?? 'console', ALLOW_CONSOLE_DELIVERY: 'true' });
  const database = await createDatabase(config.database);
  try {
    const applied = await migrateToLatest(database);
    console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
