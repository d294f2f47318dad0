// A local server that plays a captcha vendor's siteverify endpoint (Turnstile and hCaptcha share
// the contract): a form-encoded POST of secret, response and remoteip, answered with JSON
// {success, "error-codes"}. It passes the token "solved" and refuses every other token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeCaptchaMode = 'ok' | 'server-error' | 'hang' | 'garbage' | 'wrong-secret';

export interface SiteverifyCall {
  contentType: string | undefined;
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

export const SOLVED_TOKEN = 'solved';

export async function startFakeCaptcha(options: { secret: string }) {
  let mode: FakeCaptchaMode = 'ok';
  const calls: SiteverifyCall[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      calls.push({ contentType: request.headers['content-type'], secret: form.get('secret'), response: form.get('response'), remoteip: form.get('remoteip') });
      if (mode === 'hang') return; // held open until the client gives up
      if (mode === 'server-error') {
        response.writeHead(500, { 'content-type': 'text/html' }).end('<h1>500</h1>');
        return;
      }
      if (mode === 'garbage') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"succ');
        return;
      }
      const secretOk = mode !== 'wrong-secret' && form.get('secret') === options.secret;
      const success = secretOk && form.get('response') === SOLVED_TOKEN;
      const errorCodes = !secretOk ? ['invalid-input-secret'] : success ? [] : ['invalid-input-response'];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success, 'error-codes': errorCodes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/siteverify`,
    calls,
    setMode(next: FakeCaptchaMode) {
      mode = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
