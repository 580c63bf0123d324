import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { envFields, loadEnv, urlPassword } from './env';

const schema = z.object({
  PORT: envFields.port(3000),
  LOG_LEVEL: envFields.logLevel(),
  SERVICE_TOKEN: envFields.secret(32),
  API_URL: envFields.url(),
  VERBOSE: envFields.boolean(false),
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadEnv(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnv', () => {
  it('applies defaults and coerces types', () => {
    const config = loadEnv(schema, {
      SERVICE_TOKEN: 'x'.repeat(32),
      API_URL: 'http://127.0.0.1:3000',
      VERBOSE: 'yes',
    });
    expect(config).toEqual({
      PORT: 3000,
      LOG_LEVEL: 'info',
      SERVICE_TOKEN: 'x'.repeat(32),
      API_URL: 'http://127.0.0.1:3000',
      VERBOSE: true,
    });
  });

  it('treats empty strings as unset', () => {
    const config = loadEnv(schema, {
      PORT: '',
      SERVICE_TOKEN: 'x'.repeat(32),
      API_URL: 'http://a',
    });
    expect(config.PORT).toBe(3000);
  });

  it('lists every problem in one error, one per variable', () => {
    expect(
      problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', API_URL: 'not a url', VERBOSE: 'maybe' }),
    ).toEqual([
      'PORT: Invalid input: expected number, received NaN',
      expect.stringMatching(/^LOG_LEVEL: Invalid option: expected one of/),
      'SERVICE_TOKEN: is required',
      'API_URL: must be an absolute URL',
      'VERBOSE: must be true or false',
    ]);
  });

  it('never repeats a secret value in its message', () => {
    const secret = 'hunter2-but-too-short';
    let message = '';
    try {
      loadEnv(schema, { SERVICE_TOKEN: secret, API_URL: 'http://a' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SERVICE_TOKEN: must be at least 32 characters');
    expect(message).not.toContain(secret);
  });
});

describe('loadEnv with <NAME>_FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function secretFile(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it('reads a variable from the file it names, without the trailing newline', () => {
    const token = 's'.repeat(40);
    const config = loadEnv(schema, {
      SERVICE_TOKEN_FILE: secretFile('service_token', `${token}\n`),
      API_URL: 'http://127.0.0.1:3000',
    });
    expect(config.SERVICE_TOKEN).toBe(token);
    expect(config).not.toHaveProperty('SERVICE_TOKEN_FILE');
  });

  it('validates the file content like the variable itself, never printing it', () => {
    const problems = problemsOf({
      SERVICE_TOKEN_FILE: secretFile('short', 'hunter2\n'),
      API_URL: 'http://127.0.0.1:3000',
    });
    expect(problems).toEqual(['SERVICE_TOKEN: must be at least 32 characters']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('lists a missing file, an empty file and a doubly set variable, with the other problems', () => {
    const problems = problemsOf({
      SERVICE_TOKEN_FILE: join(dir, 'missing'),
      API_URL_FILE: secretFile('empty', '\n'),
      PORT: '80',
      PORT_FILE: secretFile('port', '81'),
      LOG_LEVEL: 'loud',
    });
    expect(problems).toEqual([
      `PORT_FILE: set PORT or PORT_FILE, not both`,
      `SERVICE_TOKEN_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
      `API_URL_FILE: ${join(dir, 'empty')} is empty`,
      expect.stringMatching(/^LOG_LEVEL: /),
    ]);
  });

  it('leaves other *_FILE variables of the environment alone', () => {
    const config = loadEnv(schema, {
      SERVICE_TOKEN: 'x'.repeat(32),
      API_URL: 'http://127.0.0.1:3000',
      TF_CLI_CONFIG_FILE: '/nonexistent/.terraformrc',
    });
    expect(config.PORT).toBe(3000);
  });
});

describe('urlPassword', () => {
  it('finds the password of a connection URL, decoded', () => {
    expect(urlPassword('postgres://chatops:p%40ss%2Fw0rd@db:5432/chatops')).toBe('p@ss/w0rd');
  });

  it('is undefined without one', () => {
    expect(urlPassword('postgres://chatops@db/chatops')).toBeUndefined();
    expect(urlPassword('sqlite:./data/chatops.sqlite')).toBeUndefined();
    expect(urlPassword(undefined)).toBeUndefined();
  });
});
