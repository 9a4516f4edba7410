/**
 * ASL validation for tests: every test that emits a definition checks it with asl-validator
 * (v4: JSON schema per query language, JSONPath syntax, transition targets, duplicate state
 * names, terminal states, Resource ARNs).
 *
 * asl-validator builds a new Ajv and compiles its fifteen JSON schemas on every call (0.1 to
 * 0.4 s each, the largest single cost of the unit tests). Here its schema stage runs on one Ajv
 * per worker, configured as asl-validator configures its own (the same schemas, formats and
 * options) and compiled once; every other check is asl-validator's own code.
 * test/unit/statemachines/asl-validator.test.ts proves both report the same problems.
 */
import { createRequire } from 'node:module';

interface AslValidatorError {
  readonly 'Error code': string;
  readonly Message: string;
}

interface ValidatorOptions {
  readonly checkPaths?: boolean;
  readonly checkArn?: boolean;
}

type AslValidator = (definition: unknown, options?: ValidatorOptions) => { isValid: boolean; errors: readonly AslValidatorError[] };

interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly message?: string;
}

interface AjvInstance {
  addFormat(name: string, check: (value: string) => boolean): void;
  getSchema(id: string): ((data: unknown) => boolean) & { errors?: AjvError[] | null };
}

type SchemaStage = (definition: unknown, options: ValidatorOptions) => AslValidatorError[];

// Everything is loaded the way asl-validator loads it: relative to its own entry point, so its
// own versions of Ajv and the format libraries are used.
const requireFromHere = createRequire(import.meta.url);
const validatorEntry = requireFromHere.resolve('asl-validator');
const requireFromValidator = createRequire(validatorEntry);
const validator = requireFromValidator(validatorEntry) as AslValidator;
const schemaStageModule = requireFromValidator('./checks/json-schema-errors.js') as { jsonSchemaErrors: SchemaStage };
const stockSchemaStage = schemaStageModule.jsonSchemaErrors;

const SCHEMA_FILES = ['common', 'paths', 'jsonata', 'choice', 'fail', 'parallel', 'pass', 'base-state-machine', 'state-machine', 'state', 'succeed', 'task', 'wait', 'map', 'errors'];
const STATE_MACHINE_SCHEMA = 'http://asl-validator.cloud/state-machine.json#';
const SCHEMA_VALIDATION_FAILED = (requireFromValidator('./types.js') as { StateMachineErrorCode: { SchemaValidationFailed: string } }).StateMachineErrorCode.SchemaValidationFailed;

let compiled: ReturnType<AjvInstance['getSchema']> | undefined;

/** The state-machine schema, compiled on first use with every path and ARN check on. */
function stateMachineSchema(): ReturnType<AjvInstance['getSchema']> {
  if (compiled) return compiled;
  const Ajv = (requireFromValidator('ajv') as { default: new (options: object) => AjvInstance }).default;
  const addFormats = (requireFromValidator('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
  const jsonata = requireFromValidator('jsonata') as (expression: string) => unknown;
  const { registerAll } = requireFromValidator('asl-path-validator') as { registerAll: (ajv: AjvInstance) => void };
  const { isArnFormatValid } = requireFromValidator('./checks/formats.js') as { isArnFormatValid: (value: string) => boolean };
  const ajv = new Ajv({ schemas: SCHEMA_FILES.map((name) => requireFromValidator(`./schemas/${name}.json`) as object), allowUnionTypes: true });
  addFormats(ajv);
  const isJsonata = (value: string) => {
    let expression = value.trim();
    if (expression.startsWith('{%')) expression = expression.slice(2);
    if (expression.endsWith('%}')) expression = expression.slice(0, -2);
    try {
      jsonata(expression);
      return true;
    } catch {
      return false;
    }
  };
  ajv.addFormat('jsonata_string', isJsonata);
  ajv.addFormat('maybe_jsonata_string', (value) => {
    const trimmed = value.trim();
    return trimmed.startsWith('{%') || trimmed.endsWith('%}') ? isJsonata(trimmed) : true;
  });
  registerAll(ajv);
  ajv.addFormat('asl_arn', isArnFormatValid);
  compiled = ajv.getSchema(STATE_MACHINE_SCHEMA);
  return compiled;
}

/**
 * The schema stage on the compiled schema. Of Ajv's errors it reports asl-validator's choice:
 * those at the deepest instance path; where one of them is a oneOf, only the oneOf errors at
 * that path; each schemaPath/instancePath pair once.
 */
const compiledSchemaStage: SchemaStage = (definition, options) => {
  // Only the options validateAsl passes are compiled; anything else takes the stock path.
  if (options.checkPaths !== true || options.checkArn !== true) return stockSchemaStage(definition, options);
  const validate = stateMachineSchema();
  if (validate(definition)) return [];
  const errors = validate.errors ?? [];
  const depth = (error: AjvError) => error.instancePath.split('/').length;
  const deepest = Math.max(...errors.map(depth));
  const selected = errors.filter((error) => depth(error) === deepest);
  const withOneOf = new Set(selected.filter((error) => error.keyword === 'oneOf').map((error) => error.instancePath));
  const seen = new Set<string>();
  const problems: AslValidatorError[] = [];
  for (const error of selected) {
    if (error.keyword !== 'oneOf' && withOneOf.has(error.instancePath)) continue;
    const schemaPath = decodeURIComponent(error.schemaPath);
    const key = JSON.stringify([schemaPath, error.instancePath]);
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ 'Error code': SCHEMA_VALIDATION_FAILED, Message: `${error.instancePath} is invalid. ${error.message ?? ''}` });
  }
  return problems;
};

schemaStageModule.jsonSchemaErrors = compiledSchemaStage;

function run(definition: unknown): string[] {
  // The validator writes default fields into what it checks, so it gets a copy.
  const copy: unknown = JSON.parse(JSON.stringify(definition));
  const { isValid, errors } = validator(copy, { checkPaths: true, checkArn: true });
  return isValid ? [] : errors.map((error) => `${error['Error code']}: ${error.Message}`);
}

/** The problems asl-validator finds in `definition`, one line each; `[]` when it is valid. */
export function validateAsl(definition: unknown): string[] {
  return run(definition);
}

/** The same check through asl-validator's stock schema stage (a new Ajv per call): the reference for the compiled one. */
export function validateAslStock(definition: unknown): string[] {
  schemaStageModule.jsonSchemaErrors = stockSchemaStage;
  try {
    return run(definition);
  } finally {
    schemaStageModule.jsonSchemaErrors = compiledSchemaStage;
  }
}
