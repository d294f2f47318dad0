// loadConfig(process.env) -> composeApp -> listen; closes gracefully on SIGTERM/SIGINT.
import './supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { describeStartupError, loadConfig } from './config.js';
import { composeApp } from './compose.js';
import { developmentJwtSecret, developmentPrivateKey } from './dev-secret.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const jwtSecret = config.jwtSecret ?? developmentJwtSecret('./data');
  // Production never gets here without a key (loadConfig refuses); development generates one.
  const generatedKey =
    config.jwtAlgorithm !== 'HS256' && config.jwtPrivateKey === undefined ? developmentPrivateKey('./data', config.jwtAlgorithm) : undefined;
  const { app, logger } = await composeApp({ ...config, jwtSecret, jwtPrivateKey: config.jwtPrivateKey ?? generatedKey?.key });
  if (config.jwtSecret === undefined) {
    logger.warn('JWT_SECRET is not set: using a generated development secret kept in ./data/jwt-secret');
  }
  if (generatedKey !== undefined) {
    logger.warn(`JWT_PRIVATE_KEY is not set: signing ${config.jwtAlgorithm} tokens with a generated development key kept in ${generatedKey.file}`);
  }

  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  console.error(describeStartupError(error));
  process.exit(1);
});
