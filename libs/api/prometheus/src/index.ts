export * from './prometheus.repository';
