import { ConfigError } from './config-error';
import { createServer } from 'node:net';
import { configOrExit, describeStartFailure, EXIT_CONFIG } from './run-or-exit';

describe('configOrExit', () => {
  it('prints the problem list and exits with EX_CONFIG', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const written: string[] = [];
    configOrExit(
      () => {
        throw new ConfigError('configuration', ['PORT: is required', 'TOKEN: is required']);
      },
      (text) => written.push(text),
    );
    expect(written.join('')).toBe(
      'Invalid configuration:\n  - PORT: is required\n  - TOKEN: is required\n',
    );
    expect(exit).toHaveBeenCalledWith(EXIT_CONFIG);
  });

  it('rethrows anything that is not a configuration problem', () => {
    expect(() =>
      configOrExit(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});

describe('describeStartFailure', () => {
  it('names a port in use and the variable that moves it, from the real listen error', async () => {
    const first = createServer();
    await new Promise<void>((r) => first.listen(0, '127.0.0.1', () => r()));
    const { port } = first.address() as { port: number };
    const error = await new Promise<Error>((resolve) => {
      const second = createServer();
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    first.close();
    expect(describeStartFailure('api', error)).toBe(
      `api cannot listen on 127.0.0.1:${port}: the port is in use. Stop what listens there, or set PORT to another port`,
    );
  });

  it('says what else went wrong without a stack trace', () => {
    expect(describeStartFailure('bot', new Error('gateway refused'))).toBe(
      'bot failed to start: gateway refused',
    );
    const denied = Object.assign(new Error('listen EACCES'), {
      code: 'EACCES',
      syscall: 'listen',
      address: '0.0.0.0',
      port: 80,
    });
    expect(describeStartFailure('api', denied)).toMatch(/Set PORT to a port above 1023$/);
  });
});
