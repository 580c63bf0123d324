export * from './conformance/ledger';
export * from './conformance/discord-description';
export * from './conformance/record';
export * from './conformance/openapi-description';
export * from './http';
export * from './faults';
