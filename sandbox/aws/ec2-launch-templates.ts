/**
 * EC2 launch templates: `CreateLaunchTemplate` (with the SDK's auto-filled `ClientToken`),
 * `CreateLaunchTemplateVersion`, `DescribeLaunchTemplates`, `DescribeLaunchTemplateVersions`,
 * `DeleteLaunchTemplate`. The template data is kept as the request sent it and written back
 * with EC2's response names (`NetworkInterface.N` → `networkInterfaceSet`, …).
 */
import { checkFilterNames, matchesFilters, paginate, parseFilters, tagSet, tagSpecifications, type Ec2Tag } from './ec2-filters.ts';
import { child, int, isoTime, items, itemStrings, QueryError, str, xmlList, type QueryNode, type XmlObject, type XmlValue } from './query-protocol.ts';
import { resourceId } from './random.ts';
import type { SimContext } from './service.ts';

/** One version of a template. */
export interface LaunchTemplateVersion {
  readonly versionNumber: number;
  readonly description?: string;
  readonly createTime: number;
  /** `LaunchTemplateData.*` as the request sent it. */
  readonly data: QueryNode;
}

/** A launch template. */
export interface LaunchTemplate {
  readonly id: string;
  readonly name: string;
  readonly createTime: number;
  readonly createdBy: string;
  defaultVersion: number;
  readonly versions: LaunchTemplateVersion[];
  readonly tags: Ec2Tag[];
}

/** What an instance launched from a template version gets (the fields the simulator acts on). */
export interface LaunchSpec {
  readonly imageId?: string;
  readonly instanceType?: string;
  readonly keyName?: string;
  readonly securityGroupIds: readonly string[];
  readonly securityGroupNames: readonly string[];
  readonly instanceTags: readonly Ec2Tag[];
  readonly iamInstanceProfile?: string;
}

const NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;

/** The launch templates of one account and their actions. */
export function createLaunchTemplateStore() {
  const templates = new Map<string, LaunchTemplate>();
  const tokens = new Map<string, { fingerprint: string; id: string }>();

  const byName = (name: string) => [...templates.values()].find((t) => t.name === name);

  /** The template a request names by `LaunchTemplateId` or `LaunchTemplateName` (exactly one). */
  const named = (params: QueryNode): LaunchTemplate => {
    const id = str(params, 'LaunchTemplateId');
    const name = str(params, 'LaunchTemplateName');
    if (id && name) throw new QueryError('InvalidParameterCombination', 'The parameters LaunchTemplateId and LaunchTemplateName cannot be used together.');
    if (id) {
      const found = templates.get(id);
      if (!found) throw new QueryError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
      return found;
    }
    if (name) {
      const found = byName(name);
      if (!found) throw new QueryError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
      return found;
    }
    throw new QueryError('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId');
  };

  const create = (params: QueryNode, ctx: SimContext): XmlObject => {
    const token = str(params, 'ClientToken');
    const fingerprint = JSON.stringify({ ...params, ClientToken: undefined });
    if (token) {
      const seen = tokens.get(token);
      if (seen) {
        if (seen.fingerprint !== fingerprint) throw new QueryError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
        const template = templates.get(seen.id);
        if (template) return { launchTemplate: templateXml(template) };
      }
    }
    const name = str(params, 'LaunchTemplateName') ?? '';
    if (name === '') throw new QueryError('MissingParameter', 'The request must contain the parameter LaunchTemplateName');
    if (!NAME.test(name)) {
      throw new QueryError('InvalidLaunchTemplateName.MalformedException', `A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.' (got '${name}')`);
    }
    const data = child(params, 'LaunchTemplateData');
    if (!data) throw new QueryError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
    if (byName(name)) throw new QueryError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
    const description = str(params, 'VersionDescription');
    const template: LaunchTemplate = {
      id: resourceId(ctx.random, 'lt'),
      name,
      createTime: ctx.now(),
      createdBy: `arn:aws:iam::${ctx.accountId}:user/sandbox`,
      defaultVersion: 1,
      versions: [{ versionNumber: 1, createTime: ctx.now(), data, ...(description !== undefined ? { description } : {}) }],
      tags: tagSpecifications(params, 'launch-template'),
    };
    templates.set(template.id, template);
    if (token) tokens.set(token, { fingerprint, id: template.id });
    ctx.event('launch-template.created', { launchTemplateId: template.id, name });
    return { launchTemplate: templateXml(template) };
  };

  const createVersion = (params: QueryNode, ctx: SimContext): XmlObject => {
    const template = named(params);
    const data = child(params, 'LaunchTemplateData');
    if (!data) throw new QueryError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
    const source = str(params, 'SourceVersion');
    const base = source ? resolveVersion(template, source) : undefined;
    const description = str(params, 'VersionDescription');
    const version: LaunchTemplateVersion = {
      versionNumber: template.versions.length + 1,
      createTime: ctx.now(),
      data: base ? mergeData(base.data, data) : data,
      ...(description !== undefined ? { description } : {}),
    };
    template.versions.push(version);
    return { launchTemplateVersion: versionXml(template, version) };
  };

  const describe = (params: QueryNode): XmlObject => {
    const ids = itemStrings(params, 'LaunchTemplateId');
    const names = itemStrings(params, 'LaunchTemplateName');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['create-time', 'launch-template-name']);
    for (const id of ids) if (!templates.has(id)) throw new QueryError('InvalidLaunchTemplateId.NotFound', 'At least one of the launch templates specified in the request does not exist.');
    for (const name of names) if (!byName(name)) throw new QueryError('InvalidLaunchTemplateName.NotFoundException', 'At least one of the launch templates specified in the request does not exist.');
    const list = [...templates.values()].filter(
      (t) =>
        (ids.length === 0 || ids.includes(t.id)) &&
        (names.length === 0 || names.includes(t.name)) &&
        matchesFilters(filters, { 'create-time': isoTime(t.createTime), 'launch-template-name': t.name }, t.tags),
    );
    const { page, nextToken } = paginate(list, params, { min: 1, max: 200 });
    return { launchTemplates: page.map(templateXml), nextToken };
  };

  const describeVersions = (params: QueryNode): XmlObject => {
    const template = named(params);
    const wanted = itemStrings(params, 'LaunchTemplateVersion');
    const min = int(params, 'MinVersion', 'InvalidParameterValue');
    const max = int(params, 'MaxVersion', 'InvalidParameterValue');
    let versions = wanted.length > 0 ? wanted.map((v) => resolveVersion(template, v)) : template.versions;
    versions = versions.filter((v) => (min === undefined || v.versionNumber >= min) && (max === undefined || v.versionNumber <= max));
    const { page, nextToken } = paginate(versions, params, { min: 1, max: 200 });
    return { launchTemplateVersionSet: page.map((v) => versionXml(template, v)), nextToken };
  };

  const remove = (params: QueryNode, ctx: SimContext): XmlObject => {
    const template = named(params);
    templates.delete(template.id);
    ctx.event('launch-template.deleted', { launchTemplateId: template.id, name: template.name });
    return { launchTemplate: templateXml(template) };
  };

  /** `$Latest`, `$Default` or a number, as Auto Scaling and DescribeLaunchTemplateVersions accept. */
  const resolveVersion = (template: LaunchTemplate, version: string): LaunchTemplateVersion => {
    const number = version === '$Latest' ? template.versions.length : version === '$Default' ? template.defaultVersion : Number(version);
    const found = template.versions.find((v) => v.versionNumber === number);
    if (!found) throw new QueryError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for launch template ${template.id}.`);
    return found;
  };

  return {
    create,
    createVersion,
    describe,
    describeVersions,
    remove,
    /** The template for an id or name, or undefined. */
    find: (idOrName: { id?: string; name?: string }) => (idOrName.id ? templates.get(idOrName.id) : idOrName.name ? byName(idOrName.name) : undefined),
    /** The version (or undefined when it does not exist). */
    version: (template: LaunchTemplate, version: string): LaunchTemplateVersion | undefined => {
      try {
        return resolveVersion(template, version);
      } catch {
        return undefined;
      }
    },
    snapshot: () =>
      [...templates.values()].map((t) => ({
        id: t.id,
        name: t.name,
        createTime: isoTime(t.createTime),
        defaultVersion: t.defaultVersion,
        latestVersion: t.versions.length,
        versions: t.versions.map((v) => ({ versionNumber: v.versionNumber, ...launchSpec(v.data) })),
      })),
  };
}

/** What a template version asks an instance to be. */
export function launchSpec(data: QueryNode): LaunchSpec {
  const securityGroupIds = [...itemStrings(data, 'SecurityGroupId')];
  for (const nic of items(child(data, 'NetworkInterface'))) {
    if (typeof nic !== 'string') securityGroupIds.push(...itemStrings(nic, 'SecurityGroupId'));
  }
  const imageId = str(data, 'ImageId');
  const instanceType = str(data, 'InstanceType');
  const keyName = str(data, 'KeyName');
  const profile = child(data, 'IamInstanceProfile');
  const iamInstanceProfile = str(profile, 'Name') ?? str(profile, 'Arn');
  return {
    ...(imageId !== undefined ? { imageId } : {}),
    ...(instanceType !== undefined ? { instanceType } : {}),
    ...(keyName !== undefined ? { keyName } : {}),
    ...(iamInstanceProfile !== undefined ? { iamInstanceProfile } : {}),
    securityGroupIds,
    securityGroupNames: itemStrings(data, 'SecurityGroup'),
    instanceTags: tagSpecifications(data, 'instance'),
  };
}

function templateXml(t: LaunchTemplate): XmlObject {
  return {
    launchTemplateId: t.id,
    launchTemplateName: t.name,
    createTime: isoTime(t.createTime),
    createdBy: t.createdBy,
    defaultVersionNumber: t.defaultVersion,
    latestVersionNumber: t.versions.length,
    tagSet: tagSet(t.tags),
  };
}

function versionXml(t: LaunchTemplate, v: LaunchTemplateVersion): XmlObject {
  return {
    launchTemplateId: t.id,
    launchTemplateName: t.name,
    versionNumber: v.versionNumber,
    versionDescription: v.description,
    createTime: isoTime(v.createTime),
    createdBy: t.createdBy,
    defaultVersion: v.versionNumber === t.defaultVersion,
    launchTemplateData: dataXml(v.data, ''),
  };
}

/** Response names of request lists that do not follow `<lowerCamel>Set` (ResponseLaunchTemplateData's schema). */
const LIST_NAMES: Record<string, string> = {
  LicenseSpecification: 'licenseSet',
  Tag: 'tagSet',
  Ipv6Addresses: 'ipv6AddressesSet',
  PrivateIpAddresses: 'privateIpAddressesSet',
  'NetworkInterface/SecurityGroupId': 'groupSet',
};

/** Writes request-shaped template data with EC2's response element names. */
function dataXml(node: QueryNode, parent: string): XmlObject {
  const out: Record<string, XmlValue> = {};
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string') {
      out[lowerFirst(key)] = value;
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      const name = LIST_NAMES[`${parent}/${key}`] ?? LIST_NAMES[key] ?? `${lowerFirst(key)}Set`;
      const list = items(value).map((item) => (typeof item === 'string' ? item : dataXml(item, key)));
      // GroupIdStringList is the one list of the template data whose items are not <item>.
      out[name] = name === 'groupSet' ? xmlList('groupId', list) : list;
    } else {
      out[lowerFirst(key)] = dataXml(value, key);
    }
  }
  return out;
}

/** A new version's data over its source version's: keys the request sets replace the source's. */
function mergeData(base: QueryNode, over: QueryNode): QueryNode {
  return { ...base, ...over };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
