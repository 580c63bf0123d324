import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../../config';
import { API_CONFIG } from '../tokens';

/**
 * The bot (and only the bot) calls /v1 with `Authorization: Bearer <API_SERVICE_TOKEN>`.
 * Digests are compared in constant time so response timing reveals nothing about the token.
 */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.expected = digest(config.API_SERVICE_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const header = req.headers.authorization;
    const presented = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
    if (presented === undefined || !timingSafeEqual(digest(presented), this.expected)) {
      void context.switchToHttp().getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException(
        presented !== undefined
          ? 'Invalid service token'
          : 'Missing bearer token (Authorization: Bearer <service token>)',
      );
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
