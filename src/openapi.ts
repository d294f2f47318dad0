// npm run openapi: writes the API reference (OpenAPI 3.1) to openapi.json at the repository root.
// The document comes from the app's own route schemas; test/api/openapi.test.ts fails when the
// committed file differs from what this writes.
import './supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { writeFileSync } from 'node:fs';
import { generateOpenApiDocument, openApiPath } from './openapi-document.js';

const text = await generateOpenApiDocument();
writeFileSync(openApiPath(), text);
console.log(`wrote ${openApiPath()}`);
