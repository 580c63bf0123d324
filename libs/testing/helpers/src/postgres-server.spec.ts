import { Client } from 'pg';
import { startPostgres } from './postgres-server';

describe('startPostgres', () => {
  it('starts a server that accepts queries and removes it on stop', async () => {
    const server = await startPostgres();
    const client = new Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query<{ v: string }>('select version() as v');
    await client.end();
    expect(rows[0]?.v).toMatch(/^PostgreSQL \d+/);
    await server.stop();
    const after = new Client({ connectionString: server.url });
    await expect(after.connect()).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});
