/**
 * Reads a request body with a byte limit, for the local servers (gateway and issuer). Past the limit the rest of the
 * stream is drained and dropped, so the caller can still answer (413, or an OAuth error) on the same connection.
 */
import type { IncomingMessage } from 'node:http';

/** The body is larger than the limit; nothing of it was kept. */
export class BodyTooLargeError extends Error {
  constructor() {
    super('Request body is too large');
    this.name = 'BodyTooLargeError';
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
