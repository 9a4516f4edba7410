/**
 * Spinnaker's Kubernetes semantics, pure (reference/cloud-targets.md §1.1, §1.2, §6): manifest
 * names and kinds, versions, the annotater and labeler, strategy annotations, traffic by Service
 * selector labels, what "stable" means, dynamic targets, artifact binding, label selectors and
 * manifest documents. The manifest stages (core/stages/manifest-*.ts) call these around the
 * ManifestPort (core/ports/manifests.ts).
 */
export * from './annotations.ts';
export * from './artifacts.ts';
export * from './deploy.ts';
export * from './documents.ts';
export * from './kinds.ts';
export * from './objects.ts';
export * from './selectors.ts';
export * from './stability.ts';
export * from './targets.ts';
export * from './traffic.ts';
export * from './versions.ts';
