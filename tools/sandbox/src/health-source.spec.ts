import { HealthSource, sandboxPrometheusConfig } from './health-source';

describe('the sandbox health source', () => {
  it('serves one series per service and environment, and the console flips them', async () => {
    const source = new HealthSource(['api', 'bot'], ['staging', 'prod']);
    const target = await source.start('127.0.0.1');
    try {
      expect(source.set('api', 'staging', false)).toBe(true);
      expect(source.set('web', 'staging', false)).toBe(false);
      expect(source.set('api', 'qa', false)).toBe(false);
      const text = await (await fetch(`http://${target}/metrics`)).text();
      expect(text.split('\n').filter((l) => l.startsWith('sandbox_service_up'))).toEqual([
        'sandbox_service_up{service="api",environment="staging"} 0',
        'sandbox_service_up{service="api",environment="prod"} 1',
        'sandbox_service_up{service="bot",environment="staging"} 1',
        'sandbox_service_up{service="bot",environment="prod"} 1',
      ]);
      source.set('api', 'staging', true);
      expect(source.metrics()).not.toContain(' 0\n');
      expect((await fetch(`http://${target}/other`)).status).toBe(404);
    } finally {
      await source.stop();
    }
  });

  it('points Prometheus at the source and, when there is one, at Alertmanager', () => {
    expect(sandboxPrometheusConfig('127.0.0.1:9', null)).not.toContain('alertmanagers');
    expect(sandboxPrometheusConfig('127.0.0.1:9', '127.0.0.1:8')).toContain(
      "targets: ['127.0.0.1:8']",
    );
  });
});
