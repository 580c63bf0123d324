import { freePorts } from './free-port';

describe('freePorts', () => {
  it('gives distinct ports on loopback', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
