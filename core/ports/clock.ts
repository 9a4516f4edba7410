/**
 * Time as a dependency. Core code never reads the wall clock: it is handed a Clock, so tests
 * can move time by hand and every timestamp in a store write comes from one place.
 */

/** Tells the current time as epoch milliseconds. */
export interface Clock {
  now(): number;
}
