// npm run migrate: bring the database named by DATABASE_URL up to date, then exit.
import './supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { database, describeStartupError } from './config.js';
import { createDatabase } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';

try {
  // Only the database settings: a release step that migrates needs no secrets or providers.
  const handle = await createDatabase(database(process.env));
  try {
    const applied = await migrateToLatest(handle);
    console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
  } finally {
    await handle.close();
  }
} catch (error) {
  console.error(describeStartupError(error));
  process.exit(1);
}
