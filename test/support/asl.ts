/**
 * ASL validation for tests: every test that emits a definition checks it with asl-validator
 * (v4: JSON schema per query language, JSONPath syntax, transition targets, duplicate state
 * names, terminal states, Resource ARNs).
 *
 * asl-validator builds a new Ajv and compiles its fifteen JSON schemas on every call (0.1 to
 * 0.4 s each), and the local engine's interpreter runs its own copy of it on every definition it
 * loads: together the largest single cost of the unit tests. Loading this module (the setup file
 * test/support/setup.ts does, in every test file) gives both copies a schema stage that runs on
 * one Ajv, configured as asl-validator configures its own (the same schemas, formats and
 * options) and compiled on first use; every other check stays asl-validator's own code.
 * test/unit/statemachines/asl-validator.test.ts proves that both judge as the stock validator.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/**
 * One copy of asl-validator with its schema stage compiled once. Everything is loaded the way
 * that copy loads it, relative to its own entry point, so its own versions of Ajv and the format
 * libraries are used.
 */
interface CompiledCopy {
  readonly validator: AslValidator;
  readonly module: { jsonSchemaErrors: SchemaStage };
  readonly stock: SchemaStage;
  readonly compiled: SchemaStage;
}

const STATE_MACHINE_SCHEMA = 'http://asl-validator.cloud/state-machine.json#';

function compileCopy(entry: string): CompiledCopy {
  const requireFromValidator = createRequire(entry);
  const validator = requireFromValidator(entry) as AslValidator;
  const module = requireFromValidator('./checks/json-schema-errors.js') as { jsonSchemaErrors: SchemaStage };
  const stock = module.jsonSchemaErrors;
  const schemaFailed = (requireFromValidator('./types.js') as { StateMachineErrorCode: { SchemaValidationFailed: string } }).StateMachineErrorCode.SchemaValidationFailed;
  let schema: ReturnType<AjvInstance['getSchema']> | undefined;

  /** The state-machine schema, compiled on first use with every path and ARN check on. */
  const stateMachineSchema = (): ReturnType<AjvInstance['getSchema']> => {
    if (schema) return schema;
    const Ajv = (requireFromValidator('ajv') as { default: new (options: object) => AjvInstance }).default;
    const addFormats = (requireFromValidator('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
    const jsonata = requireFromValidator('jsonata') as (expression: string) => unknown;
    const { registerAll } = requireFromValidator('asl-path-validator') as { registerAll: (ajv: AjvInstance) => void };
    const { isArnFormatValid } = requireFromValidator('./checks/formats.js') as { isArnFormatValid: (value: string) => boolean };
    const schemas = readdirSync(join(dirname(entry), 'schemas')).filter((file) => file.endsWith('.json')).sort();
    const ajv = new Ajv({ schemas: schemas.map((file) => requireFromValidator(`./schemas/${file}`) as object), allowUnionTypes: true });
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
    schema = ajv.getSchema(STATE_MACHINE_SCHEMA);
    return schema;
  };

  /**
   * The schema stage on the compiled schema. Of Ajv's errors it reports asl-validator's choice:
   * those at the deepest instance path; where one of them is a oneOf, only the oneOf errors at
   * that path; each schemaPath/instancePath pair once.
   */
  const compiled: SchemaStage = (definition, options) => {
    // Only the options both callers pass (all checks on) are compiled; others take the stock path.
    if (options.checkPaths !== true || options.checkArn !== true) return stock(definition, options);
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
      problems.push({ 'Error code': schemaFailed, Message: `${error.instancePath} is invalid. ${error.message ?? ''}` });
    }
    return problems;
  };

  module.jsonSchemaErrors = compiled;
  return { validator, module, stock, compiled };
}

const requireFromHere = createRequire(import.meta.url);
/** The devDependency the tests validate with. */
const tests = compileCopy(requireFromHere.resolve('asl-validator'));
/** The copy the local engine's interpreter validates every new definition with (aws-local-stepfunctions' own). */
const interpreterEntry = createRequire(requireFromHere.resolve('aws-local-stepfunctions')).resolve('asl-validator');
const interpreter = interpreterEntry === requireFromHere.resolve('asl-validator') ? tests : compileCopy(interpreterEntry);

/** Checks with `copy`, through its stock schema stage (a new Ajv per call) when `stock`. */
function check(copy: CompiledCopy, definition: unknown, stock: boolean): string[] {
  if (stock) copy.module.jsonSchemaErrors = copy.stock;
  try {
    // The validator writes default fields into what it checks, so it gets a copy.
    const { isValid, errors } = copy.validator(JSON.parse(JSON.stringify(definition)), { checkPaths: true, checkArn: true });
    return isValid ? [] : errors.map((error) => `${error['Error code']}: ${error.Message}`);
  } finally {
    copy.module.jsonSchemaErrors = copy.compiled;
  }
}

/** The problems asl-validator finds in `definition`, one line each; `[]` when it is valid. */
export function validateAsl(definition: unknown): string[] {
  return check(tests, definition, false);
}

/**
 * What each copy of asl-validator (the tests' and the interpreter's) says of `definition`,
 * compiled once and stock: the four must agree.
 */
export function aslVerdicts(definition: unknown): { tests: string[]; testsStock: string[]; interpreter: string[]; interpreterStock: string[] } {
  return {
    tests: check(tests, definition, false),
    testsStock: check(tests, definition, true),
    interpreter: check(interpreter, definition, false),
    interpreterStock: check(interpreter, definition, true),
  };
}
