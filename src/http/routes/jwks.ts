// GET /.well-known/jwks.json: the public keys that verify our access tokens, for other services.
// Empty with HS256 (a shared secret is never published); with ES256/EdDSA the signing key's public
// half and every previous public key still accepted, each with its kid and alg.
import type { FastifyInstance } from 'fastify';
import type { PublicJwk } from '../../domain/keys.js';

/** Verifiers may cache the set this long; a token with a kid they have not seen makes them fetch again. */
const CACHE_SECONDS = 300;

export function registerJwksRoute(app: FastifyInstance, jwks: { keys: PublicJwk[] }): void {
  const body = JSON.stringify(jwks);
  const schema = { tags: ['session'], summary: 'The public keys that verify access tokens (JWKS, RFC 7517); empty with HS256' };
  app.get('/.well-known/jwks.json', { schema }, async (_request, reply) =>
    reply.header('cache-control', `public, max-age=${CACHE_SECONDS}`).type('application/jwk-set+json').send(body),
  );
}
