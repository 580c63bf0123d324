import { z } from 'zod';
import { zodProblems } from './zod-problems';

describe('zodProblems', () => {
  const schema = z.strictObject({ name: z.string(), ports: z.array(z.number()) });
  const issues = (value: unknown) => schema.safeParse(value).error?.issues ?? [];

  it('lists one "path: message" per issue, array indexes included', () => {
    expect(zodProblems(issues({ name: 1, ports: [80, 'x'] }))).toEqual([
      'name: Invalid input: expected string, received number',
      'ports.1: Invalid input: expected number, received string',
    ]);
  });

  it('names the whole value when the issue is about it, and words issues as asked', () => {
    expect(zodProblems(issues('text'), { whole: 'body' })).toEqual([
      'body: Invalid input: expected object, received string',
    ]);
    expect(zodProblems(issues({ ports: [] }), { describe: () => 'is required' })).toEqual([
      'name: is required',
    ]);
  });
});
