/**
 * Query templates over a canary scope: `${name}` is replaced by the binding of that name, and
 * nothing else happens. Kayenta expands its templates with FreeMarker, a full expression
 * language (built-ins, method calls, conditionals); a metric query only ever needs named
 * variables, so Gennaker evaluates no expression at all: `${a.b}`, `${x!"d"}` or `${a + b}` are
 * errors, never code. Substitution is one pass, so a bound value that itself contains `${...}`
 * is inserted as text and never expanded again.
 *
 * As in Kayenta (`QueryConfigUtils.unescapeTemplate`), `$\{` in a stored template means `${`:
 * Kayenta stores canary configs with their templates escaped that way.
 */

export type TemplateResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Shows a string shortly in a message. */
function quoted(text: string, max = 80): string {
  const shown = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return `'${shown}'`;
}

/**
 * Replaces every `${name}` of `template` by `bindings[name]`. `field` names the template in
 * messages (`query.customInlineTemplate`). An unknown name fails, naming it and the known ones.
 */
export function renderTemplate(template: string, bindings: Readonly<Record<string, string>>, field: string): TemplateResult {
  const source = template.replaceAll('$\\{', '${');
  let out = '';
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('${', index);
    if (open < 0) {
      out += source.slice(index);
      break;
    }
    out += source.slice(index, open);
    const close = source.indexOf('}', open + 2);
    if (close < 0) {
      return { ok: false, message: `${field} ${quoted(template)} opens '\${' at character ${open} without a closing '}'; write \${name}` };
    }
    const name = source.slice(open + 2, close).trim();
    if (!VARIABLE_NAME.test(name)) {
      return {
        ok: false,
        message: `${field} uses '\${${source.slice(open + 2, close)}}', which is not a variable name; templates substitute variables only (\${scope}, \${location}, extended scope params), they evaluate no expressions`,
      };
    }
    if (!Object.prototype.hasOwnProperty.call(bindings, name)) {
      const known = Object.keys(bindings).sort();
      return {
        ok: false,
        message: `${field} uses \${${name}}, which is not bound (known: ${known.length > 0 ? known.join(', ') : 'none'}); add '${name}' to the scope's extendedScopeParams or fix the name`,
      };
    }
    out += bindings[name];
    index = close + 1;
  }
  return { ok: true, text: out };
}

