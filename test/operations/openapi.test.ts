// The API reference: generated from the routes, committed as openapi.json, valid, complete, served.
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/http/docs.js';
import { generateOpenApiDocument, openApiPath } from '../../src/openapi-document.js';
import { serviceForBlock, startService } from '../support/service.js';

interface Operation {
  tags?: string[];
  summary?: string;
  responses: Record<string, { content?: Record<string, { schema: { properties?: { code?: { enum?: string[] } } } }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('openapi.json', () => {
  it('is what npm run openapi writes now (run it after changing a route)', async () => {
    expect(readFileSync(openApiPath(), 'utf8')).toBe(await generateOpenApiDocument());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const document = JSON.parse(readFileSync(openApiPath(), 'utf8')) as Document;
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });
});

describe('GET /openapi.json', () => {
  const service = serviceForBlock();

  it('documents every registered route with a tag, a summary, and each error status with its codes', async () => {
    const answer = await service.get('/openapi.json');
    expect(answer.status).toBe(200);
    const document = answer.body as Document;
    const routes = registeredRoutes(service.app);
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const { method, url } of routes) {
      // Fastify's /sessions/:id is OpenAPI's /sessions/{id}.
      const operation = document.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(operation, `${method} ${url} is not in the reference`).toBeDefined();
      expect(operation!.tags?.length, `${method} ${url} has no tag`).toBeGreaterThan(0);
      expect(operation!.summary, `${method} ${url} has no summary`).toBeTruthy();
      for (const [status, response] of Object.entries(operation!.responses)) {
        if (!/^[45]\d\d$/.test(status) || url === '/ready') continue;
        const codes = response.content?.['application/json']?.schema.properties?.code?.enum;
        expect(codes?.length, `${method} ${url} ${status} lists no code`).toBeGreaterThan(0);
      }
    }
    // The committed file and the served document agree.
    expect(document).toEqual(JSON.parse(readFileSync(openApiPath(), 'utf8')));
  });

  it('carries the spec documents\' examples on request bodies', async () => {
    const document = (await service.get('/openapi.json')).body as { paths: Record<string, Record<string, { requestBody: unknown }>> };
    expect(JSON.stringify(document.paths['/api/v1/auth/login']!.post!.requestBody)).toContain('john@example.com');
  });
});

describe('GET /docs', () => {
  const service = serviceForBlock();

  it('answers Swagger UI whose scripts and styles load under its content security policy', async () => {
    const page = await fetch(`${service.url}/docs/`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const loaded = await fetch(new URL(asset, `${service.url}/docs/`));
      expect(loaded.status, asset).toBe(200);
      // Read to the end: an unread body holds its connection busy, and closing the service then
      // waits for it (a 30 s afterAll timeout on Node 22 when the bundle outgrew the socket buffers).
      expect((await loaded.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
  });
});

describe('API_DOCS', () => {
  it('is off in production unless set: no /docs and no /openapi.json', async () => {
    const service = await startService({ env: { API_DOCS: 'false' } });
    try {
      expect((await service.get('/openapi.json')).status).toBe(404);
      expect((await service.get('/docs')).status).toBe(404);
    } finally {
      await service.close();
    }
  });
});
