import { createServer, type Server } from 'node:net';
import { portProblems } from './ports';

describe('portProblems', () => {
  let taken: Server;
  let port: number;
  beforeEach(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    port = (taken.address() as { port: number }).port;
  });
  afterEach(() => new Promise<void>((r) => taken.close(() => r())));

  it('names the port in use, what wanted it and the variable that moves it', async () => {
    expect(
      await portProblems('127.0.0.1', [{ variable: 'API_PORT', port, what: 'the API' }]),
    ).toEqual([
      `port ${port} on 127.0.0.1 (the API) is in use: stop what listens there, or set API_PORT to another port (in .env or the environment)`,
    ]);
  });

  it('passes free ports and lists every other problem at once', async () => {
    const free = port + 1 < 65535 ? port + 1 : port - 1;
    const problems = await portProblems('127.0.0.1', [
      { variable: 'API_PORT', port: 70000, what: 'the API' },
      { variable: 'BOT_PORT', port: free, what: 'the bot' },
      { variable: 'SIM_PORT', port: free, what: 'the simulator' },
    ]);
    expect(problems).toEqual([
      'API_PORT=70000 is not a port number (1–65535)',
      `SIM_PORT and BOT_PORT are both ${free}: give each its own port`,
    ]);
  });
});
