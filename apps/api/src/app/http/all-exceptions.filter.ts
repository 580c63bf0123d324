import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { Refusal } from '@chatops/domain';
import { REFUSAL_STATUS } from './refusal-status';
import { InvalidInputException } from './zod-body.pipe';

/** The one error body every endpoint answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  problems?: string[];
  /** The refusal's reason code (`needs-confirmation`, `conflict`…), when it has one. */
  reason?: string;
  /** What a client needs to act on it (a confirmation to answer). */
  details?: Record<string, unknown>;
  requestId?: string;
}

/**
 * Turns every failure into JSON. A refusal gets the status of its reason; HttpExceptions keep
 * their status and message (413 names the limit); anything else is a 500 whose details go to the
 * log, never to the caller.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly bodyLimitBytes: number,
    /** Records a request its schema refused (the audit); the answer does not wait for it. */
    private readonly onInvalidInput?: (
      request: FastifyRequest,
      refusal: InvalidInputException,
    ) => Promise<unknown>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    const document = resultDocument(exception);
    if (document) {
      void reply.status(document.status).send(document.body);
      return;
    }
    if (exception instanceof InvalidInputException && this.onInvalidInput) {
      // Answered once the refusal is recorded, so a caller that reads the audit next sees it.
      void this.onInvalidInput(request, exception)
        .catch((error: unknown) =>
          this.logger.error(
            { err: error, requestId: request.id },
            'could not audit a refused request',
          ),
        )
        .then(() => this.reply(request, reply, exception));
      return;
    }
    this.reply(request, reply, exception);
  }

  private reply(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
    const body = this.toErrorBody(exception);
    body.requestId = request.id;
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, requestId: body.requestId }, 'request failed');
    }
    void reply.status(body.statusCode).send(body);
  }

  private toErrorBody(exception: unknown): ErrorBody {
    if (exception instanceof Refusal) {
      const statusCode = REFUSAL_STATUS[exception.reason];
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: exception.message,
        reason: exception.reason,
        ...(exception.problems.length ? { problems: exception.problems } : {}),
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (!(exception instanceof HttpException)) {
      return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
    }
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const fields =
      typeof response === 'object' && response !== null
        ? (response as Record<string, unknown>)
        : {};
    const rawMessage =
      statusCode === HttpStatus.PAYLOAD_TOO_LARGE
        ? `Request body exceeds the limit of ${this.bodyLimitBytes} bytes`
        : (fields['message'] ?? (typeof response === 'string' ? response : exception.message));
    return {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: Array.isArray(rawMessage) ? rawMessage.join('; ') : String(rawMessage),
      ...(Array.isArray(fields['problems']) ? { problems: fields['problems'] as string[] } : {}),
      ...(typeof fields['reason'] === 'string' ? { reason: fields['reason'] } : {}),
      ...(fields['details'] && typeof fields['details'] === 'object'
        ? { details: fields['details'] as Record<string, unknown> }
        : {}),
    };
  }
}

/**
 * An HttpException whose response object has no message is a result document (terminus's
 * health report with its 503), not an error description: it goes out as it is.
 */
function resultDocument(exception: unknown): { status: number; body: object } | null {
  if (!(exception instanceof HttpException)) return null;
  const response = exception.getResponse();
  if (typeof response !== 'object' || response === null || 'message' in response) return null;
  return { status: exception.getStatus(), body: response };
}
