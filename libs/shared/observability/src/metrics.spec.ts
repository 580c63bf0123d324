import { createHttpDurationHistogram, createMetricsRegistry } from './metrics';

describe('metrics', () => {
  it('exposes process defaults and the HTTP histogram with the app label', async () => {
    const registry = createMetricsRegistry('api');
    const histogram = createHttpDurationHistogram(registry);
    histogram.observe({ method: 'GET', route: '/health/live', status_code: '200' }, 0.002);
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total{app="api"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds{app="api"}');
    expect(text).toContain('nodejs_active_handles{');
    expect(text).not.toContain('nodejs_active_handles_total');
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.0025",app="api",method="GET",route="/health/live",status_code="200"} 1',
    );
  });
});
