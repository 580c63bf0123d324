export * from './aws-fleet.repository';
export * from './failed-rollout';
