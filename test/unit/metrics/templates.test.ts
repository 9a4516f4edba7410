/**
 * Query templates over a canary scope: plain named substitution (no expression is ever
 * evaluated), Kayenta's escaped `$\{`, and one-line errors naming the unknown variable.
 */
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../../core/metrics/template.ts';
import { templateBindings } from '../../../core/metrics/series.ts';
import type { MetricScope } from '../../../core/ports/metric-source.ts';

const bindings = { scope: 'hello-prod-canary-v001', location: 'us-east-1', namespace: 'web' };

describe('renderTemplate', () => {
  it.each([
    ['server_group="${scope}"', 'server_group="hello-prod-canary-v001"'],
    ['${scope}/${location}/${scope}', 'hello-prod-canary-v001/us-east-1/hello-prod-canary-v001'],
    ['region=~"${ location }.*"', 'region=~"us-east-1.*"'],
    ['ns="${namespace}"', 'ns="web"'],
    ['no variables at all', 'no variables at all'],
    ['cost: $5 and {braces}', 'cost: $5 and {braces}'],
    ['escaped: $\\{scope}', 'escaped: hello-prod-canary-v001'],
    ['', ''],
  ])('renders %j as %j', (template, expected) => {
    expect(renderTemplate(template, bindings, 'query.customInlineTemplate')).toEqual({ ok: true, text: expected });
  });

  it('inserts a bound value as text, never expanding it again', () => {
    // given a value that looks like a template
    const result = renderTemplate('x="${scope}"', { scope: '${location}', location: 'boom' }, 'field');
    // then it stays as written
    expect(result).toEqual({ ok: true, text: 'x="${location}"' });
  });

  it('fails on an unknown variable, naming it, the field and the known names', () => {
    const result = renderTemplate('cluster="${cluster}"', bindings, "metric 'errors' query.customInlineTemplate");
    expect(result).toEqual({
      ok: false,
      message: "metric 'errors' query.customInlineTemplate uses ${cluster}, which is not bound (known: location, namespace, scope); add 'cluster' to the scope's extendedScopeParams or fix the name",
    });
  });

  it.each([['${scope.name}'], ['${scope!"x"}'], ['${a + b}'], ['${}'], ['${"scope"?upper_case}']])('refuses the expression %j instead of evaluating it', (template) => {
    const result = renderTemplate(template, bindings, 'field');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/is not a variable name; templates substitute variables only/);
  });

  it('fails on an unterminated ${', () => {
    const result = renderTemplate('x="${scope"', bindings, 'field');
    expect(result).toEqual({ ok: false, message: `field 'x="\${scope"' opens '\${' at character 3 without a closing '}'; write \${name}` });
  });
});

describe('templateBindings', () => {
  const scope: MetricScope = { scope: 'hello-prod-v002', location: 'eu-west-1', start: 0, end: 60_000, stepSeconds: 10 };

  it('binds scope and location, then the query resource type, then extended scope params over them', () => {
    expect(templateBindings(scope)).toEqual({ scope: 'hello-prod-v002', location: 'eu-west-1' });
    expect(templateBindings(scope, { resourceType: 'gce_instance' })).toEqual({ scope: 'hello-prod-v002', location: 'eu-west-1', resourceType: 'gce_instance' });
    expect(templateBindings({ ...scope, extendedScopeParams: { location: 'override', project: 'p1' } }, { resourceType: 'x' })).toEqual({
      scope: 'hello-prod-v002',
      location: 'override',
      resourceType: 'x',
      project: 'p1',
    });
  });

  it('leaves empty values unbound, so a template using them fails instead of rendering an empty string', () => {
    const bound = templateBindings({ ...scope, location: '' });
    expect(bound).toEqual({ scope: 'hello-prod-v002' });
    expect(renderTemplate('${location}', bound, 'f').ok).toBe(false);
  });
});
