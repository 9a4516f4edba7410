/**
 * A real dynalite server for tests: the local runtime's (local/dynalite.ts), on a random
 * 127.0.0.1 port, in memory or on a path, with the tables created. Start it in `beforeAll`,
 * stop it in `afterAll`.
 */
export { startDynalite, type Dynalite, type StartDynaliteOptions } from '../../local/dynalite.ts';
