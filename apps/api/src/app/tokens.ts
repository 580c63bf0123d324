/** Dependency-injection tokens for what the composition root builds outside Nest. */
export const API_CONFIG = Symbol('API_CONFIG');
export const CATALOG = Symbol('CATALOG');
export const DATABASE = Symbol('DATABASE');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const WORKFLOWS = Symbol('WORKFLOWS');
export const ALERTING = Symbol('ALERTING');
export const AUDIT_TRAIL = Symbol('AUDIT_TRAIL');
