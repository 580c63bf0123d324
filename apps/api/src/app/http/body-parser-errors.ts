import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

type BodyParserError = Error & { type?: string; limit?: number };

/**
 * Express error middleware placed right after the body parser: its failures become the HTTP
 * errors they are (413 with the limit, 400 naming the JSON problem) before Nest's filter
 * renders them.
 */
export function bodyParserErrors(
  error: BodyParserError,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  next(toHttpException(error));
}

function toHttpException(error: BodyParserError): HttpException | Error {
  switch (error.type) {
    case 'entity.too.large':
      return new PayloadTooLargeException(`Request body exceeds the limit of ${error.limit} bytes`);
    case 'entity.parse.failed':
      return new BadRequestException(`Malformed JSON: ${error.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(error.message);
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestException(error.message);
    default:
      return error;
  }
}
