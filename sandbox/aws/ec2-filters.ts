/**
 * EC2's `Filter.N.Name` / `Filter.N.Value.M` and `MaxResults` / `NextToken`, as every
 * `Describe*` action of ec2Query reads them: filters AND together, the values of one filter OR
 * together, values may use `*` and `?` wildcards, and `tag:<key>` / `tag-key` look at tags.
 */
import { child, items, QueryError, str, type QueryNode } from './query-protocol.ts';

/** One `Filter.N`. */
export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** A tag as EC2 keeps it. */
export interface Ec2Tag {
  readonly Key: string;
  readonly Value: string;
}

/** The `Filter.N` list of a request. */
export function parseFilters(params: QueryNode): Ec2Filter[] {
  return items(child(params, 'Filter')).map((node) => {
    const name = typeof node === 'string' ? '' : (str(node, 'Name') ?? '');
    const values = typeof node === 'string' ? [] : items(child(node, 'Value')).filter((v): v is string => typeof v === 'string');
    return { name, values };
  });
}

/**
 * Whether a resource passes every filter. `fields` gives the resource's values per filter name
 * (an array when the resource has several, e.g. security group ids); a filter name that is not
 * in `fields` and is not a tag filter is an error, as in EC2.
 */
export function matchesFilters(filters: readonly Ec2Filter[], fields: Record<string, string | readonly string[] | undefined>, tags: readonly Ec2Tag[]): boolean {
  return filters.every((filter) => {
    let candidates: readonly string[];
    if (filter.name.startsWith('tag:')) {
      const key = filter.name.slice(4);
      candidates = tags.filter((t) => t.Key === key).map((t) => t.Value);
    } else if (filter.name === 'tag-key') {
      candidates = tags.map((t) => t.Key);
    } else if (filter.name === 'tag-value') {
      candidates = tags.map((t) => t.Value);
    } else {
      const value = fields[filter.name];
      candidates = value === undefined ? [] : typeof value === 'string' ? [value] : value;
    }
    return filter.values.some((pattern) => candidates.some((candidate) => wildcard(pattern, candidate)));
  });
}

/** Fails as EC2 does on a filter name the action does not know. */
export function checkFilterNames(filters: readonly Ec2Filter[], known: readonly string[]): void {
  for (const filter of filters) {
    if (filter.name.startsWith('tag:') || filter.name === 'tag-key' || filter.name === 'tag-value') continue;
    if (!known.includes(filter.name)) throw new QueryError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
  }
}

function wildcard(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return regex.test(value);
}

/**
 * One page of `list`: `MaxResults` (within `min`..`max`, as each action allows) and an opaque
 * `NextToken` that encodes the offset. A token this simulator did not issue is refused.
 */
export function paginate<T>(list: readonly T[], params: QueryNode, limits: { min: number; max: number }): { page: T[]; nextToken?: string } {
  const maxText = str(params, 'MaxResults');
  let size = list.length;
  if (maxText !== undefined && maxText !== '') {
    const max = Number(maxText);
    if (!Number.isInteger(max) || max < limits.min || max > limits.max) {
      throw new QueryError('InvalidParameterValue', `Value ( ${maxText} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
    }
    size = max;
  }
  const token = str(params, 'NextToken');
  let start = 0;
  if (token !== undefined && token !== '') {
    const match = /^sim-page-(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!match) throw new QueryError('InvalidParameterValue', `The token '${token}' is invalid.`);
    start = Number(match[1]);
  }
  const page = list.slice(start, start + size);
  const next = start + size;
  return next < list.length ? { page, nextToken: Buffer.from(`sim-page-${next}`).toString('base64') } : { page };
}

/** Tags in ec2Query's response shape (`tagSet` of `{key, value}` items). */
export function tagSet(tags: readonly Ec2Tag[]): { key: string; value: string }[] | undefined {
  return tags.length === 0 ? undefined : tags.map((t) => ({ key: t.Key, value: t.Value }));
}

/** The `TagSpecification.N` tags of a request for one resource type. */
export function tagSpecifications(params: QueryNode, resourceType: string): Ec2Tag[] {
  const tags: Ec2Tag[] = [];
  for (const spec of items(child(params, 'TagSpecification'))) {
    if (typeof spec === 'string' || str(spec, 'ResourceType') !== resourceType) continue;
    for (const tag of items(child(spec, 'Tag'))) {
      if (typeof tag === 'string') continue;
      tags.push({ Key: str(tag, 'Key') ?? '', Value: str(tag, 'Value') ?? '' });
    }
  }
  return tags;
}
