/**
 * Automated canary analysis, Kayenta-compatible: the NetflixACAJudge-v1.0 judge, Kayenta canary
 * configs and metric data files. See kayenta-judge.md for the algorithm this ports.
 */
export * from './classify.ts';
export * from './config.ts';
export * from './effect-size.ts';
export * from './judge.ts';
export * from './mann-whitney.ts';
export * from './metric-data.ts';
export * from './preprocess.ts';
export * from './random.ts';
export * from './scoring.ts';
export * from './statistics.ts';
export * from './zeroin.ts';
