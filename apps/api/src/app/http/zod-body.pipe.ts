import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { zodProblems } from '@chatops/domain';

/** How many problems the message carries (all of them are in `problems`). */
const PROBLEMS_IN_MESSAGE = 5;

/** A body or query that failed its schema: the problems by path, for the caller and the audit. */
export class InvalidInputException extends BadRequestException {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).join('; ');
    const more =
      problems.length > PROBLEMS_IN_MESSAGE
        ? ` (and ${problems.length - PROBLEMS_IN_MESSAGE} more)`
        : '';
    super({ message: `Invalid request ${what}: ${shown}${more}`, problems });
  }
}

/** Validates a body or query against a zod schema; a 400 lists every problem by path. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const problems = zodProblems(result.error.issues, { whole: this.what });
    throw new InvalidInputException(this.what, problems);
  }
}
