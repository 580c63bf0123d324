import { ConfigError } from './config-error';
import { configOrExit, EXIT_CONFIG } from './run-or-exit';

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
