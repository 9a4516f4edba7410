/**
 * Spinnaker's label selectors (`labelSelectors: {selectors: [{key, kind, values}]}`, clouddriver's
 * KubernetesSelector) as Kubernetes label-selector text: EQUALS `k=v`, NOT_EQUALS `k!=v`,
 * CONTAINS `k in (a,b)`, NOT_CONTAINS `k notin (a,b)`, EXISTS `k`, NOT_EXISTS `!k`; the
 * selectors joined with commas (all must hold). Pure.
 */

/** KubernetesSelector.Kind. */
export const SELECTOR_KINDS = ['EQUALS', 'NOT_EQUALS', 'CONTAINS', 'NOT_CONTAINS', 'EXISTS', 'NOT_EXISTS', 'ANY'] as const;
export type SelectorKind = (typeof SELECTOR_KINDS)[number];

/** One selector as the stage writes it. */
export interface LabelSelector {
  readonly key: string;
  readonly kind: SelectorKind;
  readonly values?: readonly string[];
}

export type SelectorTextResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

/** The selector text of one selector, or why it has none (`field` names it for the message). */
export function selectorText(selector: LabelSelector, field = 'labelSelectors.selectors'): SelectorTextResult {
  const values = selector.values ?? [];
  const key = selector.key.trim();
  if (key === '' && selector.kind !== 'ANY') return { ok: false, message: `${field}: key is empty; name the label, e.g. "app"` };
  const one = (): SelectorTextResult =>
    values.length === 1 ? { ok: true, value: '' } : { ok: false, message: `${field}: ${selector.kind} on '${key}' takes exactly one value, got ${values.length}; give one value, or use ${selector.kind === 'EQUALS' ? 'CONTAINS' : 'NOT_CONTAINS'} for several` };
  switch (selector.kind) {
    case 'ANY':
      return { ok: true, value: '' };
    case 'EQUALS': {
      const checked = one();
      return checked.ok ? { ok: true, value: `${key}=${values[0]}` } : checked;
    }
    case 'NOT_EQUALS': {
      const checked = one();
      return checked.ok ? { ok: true, value: `${key}!=${values[0]}` } : checked;
    }
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      if (values.length === 0) return { ok: false, message: `${field}: ${selector.kind} on '${key}' has no values; list at least one` };
      return { ok: true, value: `${key} ${selector.kind === 'CONTAINS' ? 'in' : 'notin'} (${values.join(',')})` };
    case 'EXISTS':
      return { ok: true, value: key };
    case 'NOT_EXISTS':
      return { ok: true, value: `!${key}` };
    default: {
      const unknown: never = selector.kind;
      return { ok: false, message: `${field}: kind ${JSON.stringify(unknown)} is unknown; use one of ${SELECTOR_KINDS.join(', ')}` };
    }
  }
}

/** Every selector joined (all must hold); '' selects everything. */
export function labelSelectorText(selectors: readonly LabelSelector[], field = 'labelSelectors.selectors'): SelectorTextResult {
  const parts: string[] = [];
  for (const [index, selector] of selectors.entries()) {
    const text = selectorText(selector, `${field}[${index}]`);
    if (!text.ok) return text;
    if (text.value !== '') parts.push(text.value);
  }
  return { ok: true, value: parts.join(',') };
}

/**
 * Whether an object's labels satisfy every selector, as the API server reads the same selector
 * text: `!=` and `notin` hold for an object without the key; ANY holds always. Used where the
 * objects are not yet on a cluster (deployManifest's `labelSelectors` choose which manifests of
 * the stage to deploy).
 */
export function labelsMatch(labels: Readonly<Record<string, unknown>>, selectors: readonly LabelSelector[]): boolean {
  return selectors.every((selector) => {
    const key = selector.key.trim();
    const has = Object.hasOwn(labels, key) && typeof labels[key] === 'string';
    const value = has ? (labels[key] as string) : undefined;
    const values = selector.values ?? [];
    switch (selector.kind) {
      case 'ANY':
        return true;
      case 'EQUALS':
        return value !== undefined && value === values[0];
      case 'NOT_EQUALS':
        return value === undefined || value !== values[0];
      case 'CONTAINS':
        return value !== undefined && values.includes(value);
      case 'NOT_CONTAINS':
        return value === undefined || !values.includes(value);
      case 'EXISTS':
        return has;
      case 'NOT_EXISTS':
        return !has;
      default: {
        const unknown: never = selector.kind;
        return unknown;
      }
    }
  });
}
