// Catching what a test means to look at: the error a promise fails with, and the lines a logger wrote.
import { Writable } from 'node:stream';
import pino, { type Level } from 'pino';

/** The Error `promise` rejects with; fails the test when it resolves or rejects with a non-Error. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the promise to fail');
}

/** A pino logger writing into memory: the raw text, and each line parsed. */
export function capturedLogger(level: Level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return {
    logger: pino({ level }, stream),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}
