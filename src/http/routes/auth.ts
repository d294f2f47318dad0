// Both endpoint families, thin: read the body, call one domain function, shape the answer.
//   login-api-v2:  /api/v1/auth/{register,verify-registration-otp,resend-registration-otp,
//                                login,verify-login-otp,resend-login-otp}
//   SAL-27:        /api/v1/auth/customer/{register,login}/{request-otp,verify-otp}
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ChallengeService } from '../../domain/challenges.js';
import type { Purpose } from '../../domain/ports.js';
import type { ProfileInput } from '../../domain/profiles.js';
import type { CaptchaGuard } from '../captcha.js';
import { requestedLocales } from '../locale.js';
import type { CookieMode } from '../session-cookie.js';
import { codeSentJson, signedInJson } from '../present.js';
import { documented } from '../route-docs.js';
import { CodeSentEnvelope, SignedInEnvelope, errorResponses, type RegisterBody, type RegisterVerifyBody, type Schemas } from '../schemas.js';

// The domain counts these routes' client addresses (IP_SEND_LIMIT, IP_VERIFY_LIMIT).
const OWN = { addressLimit: 'own' } as const;

const SIGNED_IN_STATUS: Record<Purpose, 200 | 201> = { login: 200, register: 201 };

export function registerAuthRoutes(parent: FastifyInstance, auth: ChallengeService, schemas: Schemas, cookies: CookieMode, captcha?: CaptchaGuard): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // The routes that send a code pass the captcha (when configured) before anything is counted or sent.
  const sending = captcha === undefined ? {} : { preHandler: captcha.check };
  const sentResponse = { 200: CodeSentEnvelope, ...errorResponses };
  const signedInResponse = { 200: SignedInEnvelope, 201: SignedInEnvelope, ...errorResponses };

  function profileOf(body: { name?: string; username?: string; email?: string; phone?: string }): ProfileInput {
    return { name: body.name, username: body.username, email: body.email, phone: body.phone };
  }

  // login-api-v2: {type, identifier, country_code?}
  for (const [path, purpose, resend] of [
    ['/api/v1/auth/register', 'register', false],
    ['/api/v1/auth/resend-registration-otp', 'register', true],
    ['/api/v1/auth/login', 'login', false],
    ['/api/v1/auth/resend-login-otp', 'login', true],
  ] as const) {
    const body = purpose === 'register' ? schemas.RegisterBody : schemas.RequestBody;
    app.post(path, { schema: documented(path, { body, response: sentResponse }), config: OWN, ...sending }, async (request) => {
      const sent = await auth.requestCode({
        purpose,
        channel: request.body.type,
        identifier: request.body.identifier,
        countryCode: request.body.country_code,
        clientAddress: request.clientAddress,
        // The register paths validated the body against RegisterBody just above.
        profile: purpose === 'register' ? profileOf(request.body as RegisterBody) : undefined,
        locales: requestedLocales(request.body.locale, request.headers['accept-language']),
      });
      return codeSentJson(sent, purpose, resend);
    });
  }

  for (const [path, purpose] of [
    ['/api/v1/auth/verify-registration-otp', 'register'],
    ['/api/v1/auth/verify-login-otp', 'login'],
  ] as const) {
    const body = purpose === 'register' ? schemas.RegisterVerifyBody : schemas.VerifyBody;
    app.post(path, { schema: documented(path, { body, response: signedInResponse }), config: OWN }, async (request, reply) => {
      const signedIn = await auth.verifyCode({
        purpose,
        channel: request.body.type,
        identifier: request.body.identifier,
        countryCode: request.body.country_code,
        otp: request.body.otp,
        clientAddress: request.clientAddress,
        userAgent: request.headers['user-agent'],
        // The registration path validated the body against RegisterVerifyBody just above.
        profile: purpose === 'register' ? profileOf(request.body as RegisterVerifyBody) : undefined,
      });
      return reply.code(SIGNED_IN_STATUS[purpose]).send(cookies.deliver(request, reply, signedInJson(signedIn, purpose)));
    });
  }

  // SAL-27: {phone, country_code?}; asking again is the resend.
  for (const purpose of ['register', 'login'] as const) {
    const body = purpose === 'register' ? schemas.PhoneRegisterBody : schemas.PhoneRequestBody;
    const requestPath = `/api/v1/auth/customer/${purpose}/request-otp`;
    app.post(requestPath, { schema: documented(requestPath, { body, response: sentResponse }), config: OWN, ...sending }, async (request) => {
      const sent = await auth.requestCode({
        purpose,
        channel: 'phone',
        identifier: request.body.phone,
        countryCode: request.body.country_code,
        clientAddress: request.clientAddress,
        profile: purpose === 'register' ? profileOf(request.body) : undefined,
        locales: requestedLocales(request.body.locale, request.headers['accept-language']),
      });
      return codeSentJson(sent, purpose, false);
    });

    const verifyBody = purpose === 'register' ? schemas.PhoneRegisterVerifyBody : schemas.PhoneVerifyBody;
    const verifyPath = `/api/v1/auth/customer/${purpose}/verify-otp`;
    app.post(
      verifyPath,
      { schema: documented(verifyPath, { body: verifyBody, response: signedInResponse }), config: OWN },
      async (request, reply) => {
        const signedIn = await auth.verifyCode({
          purpose,
          channel: 'phone',
          identifier: request.body.phone,
          countryCode: request.body.country_code,
          otp: request.body.otp,
          clientAddress: request.clientAddress,
          userAgent: request.headers['user-agent'],
          profile: purpose === 'register' ? profileOf(request.body) : undefined,
        });
        return reply.code(SIGNED_IN_STATUS[purpose]).send(cookies.deliver(request, reply, signedInJson(signedIn, purpose)));
      },
    );
  }
}
