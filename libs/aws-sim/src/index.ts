export * from './aws-simulator';
