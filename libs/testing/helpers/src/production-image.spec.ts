import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AssembledImage,
  execForm,
  parseDockerfile,
  productionInstallProblems,
} from './production-image';

describe('parseDockerfile', () => {
  it('reads stages, substitutes build arguments and joins continued lines', () => {
    const dockerfile = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1.7',
        'ARG V=1.2.3',
        'FROM node:${V}-slim AS build',
        'RUN npm ci \\',
        '  --omit=dev',
        'FROM node:$V AS runtime',
        'CMD ["node", "main.js"]',
      ].join('\n'),
    );
    expect(dockerfile.args).toEqual({ V: '1.2.3' });
    expect(dockerfile.stages.map((s) => [s.name, s.from])).toEqual([
      ['build', 'node:1.2.3-slim'],
      ['runtime', 'node:1.2.3'],
    ]);
    expect(dockerfile.stages[0]?.instructions).toEqual([
      { op: 'RUN', args: 'npm ci    --omit=dev' },
    ]);
  });

  it('refuses an undeclared argument and a shell-form command', () => {
    expect(() => parseDockerfile('FROM node:${NOPE}')).toThrow('which no ARG declares');
    expect(() => execForm('node main.js')).toThrow();
  });
});

describe('productionInstallProblems', () => {
  it('names missing dependencies, devDependencies and installed workspace tools', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-problems-'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ dependencies: { zod: '4.0.0' }, devDependencies: { jest: '30.0.0' } }),
    );
    mkdirSync(join(dir, 'node_modules/jest'), { recursive: true });
    const image = { dir } as AssembledImage;
    expect(productionInstallProblems(image)).toEqual([
      'package.json has devDependencies',
      'zod is not installed',
      'jest is installed',
    ]);
  });
});
