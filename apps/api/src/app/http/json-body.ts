import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body: webhook signatures (X-Hub-Signature-256) are computed over them. */
    rawBody?: Buffer;
  }
}

/**
 * JSON bodies: kept raw for signature checks, parsed with a 400 that says what is wrong with
 * them. Bodies over the limit never reach this parser (Fastify answers 413 first).
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (
      request: FastifyRequest,
      body: Buffer,
      done: (error: Error | null, value?: unknown) => void,
    ) => {
      request.rawBody = body;
      try {
        done(null, JSON.parse(body.toString('utf8')));
      } catch (error) {
        done(new BadRequestException(`Malformed JSON: ${(error as Error).message}`));
      }
    },
  );
}
