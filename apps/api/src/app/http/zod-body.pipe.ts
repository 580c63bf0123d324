import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/** Validates a body or query against a zod schema; a 400 lists every problem by path. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || this.what}: ${issue.message}`,
    );
    throw new BadRequestException({ message: `Invalid request ${this.what}`, problems });
  }
}
