export * from './alertmanager.repository';
