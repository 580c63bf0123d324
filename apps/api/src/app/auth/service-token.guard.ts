import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../../config';
import { API_CONFIG } from '../tokens';
import { bearerTokenOf, sameSecret } from './bearer-token';

/** The bot (and only the bot) calls /v1 with `Authorization: Bearer <API_SERVICE_TOKEN>`. */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  private readonly expected: string;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.expected = config.API_SERVICE_TOKEN;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = bearerTokenOf(req.headers.authorization);
    if (presented === undefined || !sameSecret(presented, this.expected)) {
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
