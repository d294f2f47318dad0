// Every error becomes the {success:false, message, code} envelope. A 5xx never shows internals;
// it carries the request id so support can find the logged cause.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, ERRORS, type ErrorCode } from '../errors.js';

/** The catalogue code each refused request was answered with, for metrics and the security log. */
const refusals = new WeakMap<FastifyRequest, ErrorCode>();

/** The code a request was refused with (undefined when it succeeded or failed with a 500). */
export function refusalOf(request: FastifyRequest): ErrorCode | undefined {
  return refusals.get(request);
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string = ERRORS[code].message): FastifyReply {
  const status = ERRORS[code].status;
  if (status !== 500) refusals.set(reply.request, code);
  const body: Record<string, unknown> = { success: false, message, code };
  if (status >= 500) body.request_id = reply.request.id;
  return reply.code(status).send(body);
}

/**
 * Fastify's frameworkErrors: a URL its router cannot decode (`/%zz`) is answered in the envelope,
 * without echoing the URL (whose query string may hold a code or token) as Fastify would.
 */
export function answerFrameworkError(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, 'MALFORMED_REQUEST', 'The request URL is malformed');
}

/** What Node's HTTP parser refused, before any request existed, as a code of the catalogue. */
function clientErrorCode(error: NodeJS.ErrnoException): { code: ErrorCode; message?: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { code: 'HEADERS_TOO_LARGE' };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'REQUEST_TIMEOUT' };
  return { code: 'MALFORMED_REQUEST', message: 'The HTTP request could not be parsed' };
}

/**
 * Fastify's clientErrorHandler: a request Node could not parse (bad Content-Length, oversized
 * headers, a broken request line) or that took too long still gets the JSON envelope, written
 * straight to the socket because there is no request or reply. The raw bytes (err.rawPacket,
 * which may hold a token) are never logged.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message = ERRORS[code].message } = clientErrorCode(error);
  this.log.debug({ code: error.code }, 'client error');
  // A response already started on this connection cannot be followed by another one.
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true; // Node's own check, not in its types
  if (socket.writable && !started) {
    const status = ERRORS[code].status;
    const body = JSON.stringify({ success: false, message, code });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function classify(error: FastifyError): { code: ErrorCode; message?: string } | undefined {
  if (error.validation !== undefined) {
    const first = error.validation[0];
    // A body that is not an object at all (array, string, null, missing) is malformed, not invalid.
    if (error.validationContext === 'body' && first?.instancePath === '' && first.keyword === 'type') {
      return { code: 'MALFORMED_REQUEST' };
    }
    return { code: 'VALIDATION_ERROR', message: `The request is invalid: ${error.message}` };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'MALFORMED_REQUEST' };
  }
  if (error.statusCode === 413) return { code: 'PAYLOAD_TOO_LARGE' };
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return { code: 'MALFORMED_REQUEST' };
  return undefined;
}

/**
 * @param isUnavailable tells a backing service that could not be reached (a 503) from a bug (a 500);
 *   it comes from the store, which knows its drivers' errors.
 */
export function registerErrorHandling(app: FastifyInstance, isUnavailable: (error: unknown) => boolean): void {
  app.setNotFoundHandler((_request: FastifyRequest, reply: FastifyReply) => sendError(reply, 'NOT_FOUND'));

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.warn({ code: error.code, cause: causeOf(error) }, error.message);
      reply.headers(error.headers);
      return sendError(reply, error.code, error.message);
    }
    const known = classify(error);
    if (known !== undefined) return sendError(reply, known.code, known.message);
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return sendError(reply, 'SERVICE_UNAVAILABLE');
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, 'INTERNAL_ERROR');
  });
}

function causeOf(error: AppError): string | undefined {
  return error.cause instanceof Error ? error.cause.message : undefined;
}
