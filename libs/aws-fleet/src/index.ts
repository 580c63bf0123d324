export * from './aws-fleet.repository';
