/**
 * ASL validation for tests: every test that emits a definition checks it with asl-validator
 * (v4: JSON schema per query language, JSONPath syntax, transition targets, duplicate state
 * names, terminal states, Resource ARNs).
 */
import { createRequire } from 'node:module';

interface AslValidatorError {
  readonly 'Error code': string;
  readonly Message: string;
}

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: readonly AslValidatorError[] };

const validator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/**
 * The problems asl-validator finds in `definition`, one line each; `[]` when it is valid.
 * The validator writes default fields into what it checks, so it gets a copy.
 */
export function validateAsl(definition: unknown): string[] {
  const copy: unknown = JSON.parse(JSON.stringify(definition));
  const { isValid, errors } = validator(copy, { checkPaths: true, checkArn: true });
  return isValid ? [] : errors.map((error) => `${error['Error code']}: ${error.Message}`);
}
