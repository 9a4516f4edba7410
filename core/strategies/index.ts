/** The strategy planners: deploy strategies, cluster cleanup, resize and rollback. */
export * from './steps.ts';
export * from './deploy-strategies.ts';
export * from './cluster-cleanup.ts';
export * from './resize.ts';
export * from './rollback.ts';
