// GET /api/v1/auth/me: the customer behind a bearer token.
import type { FastifyInstance } from 'fastify';
import type { ChallengeService } from '../../domain/challenges.js';
import { AppError } from '../../errors.js';
import { customerJson } from '../present.js';
import { documented } from '../route-docs.js';
import { MeEnvelope } from '../schemas.js';

const BEARER = /^Bearer +([A-Za-z0-9_\-.]+)$/i;

export function registerSessionRoutes(app: FastifyInstance, auth: ChallengeService): void {
  app.get('/api/v1/auth/me', { schema: documented('/api/v1/auth/me', { response: { 200: MeEnvelope } }) }, async (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) throw new AppError('UNAUTHORIZED');
    const customer = await auth.authenticate(token);
    return { success: true, message: 'Customer profile', data: { customer: customerJson(customer) } };
  });
}
