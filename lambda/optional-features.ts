/**
 * What only some deployments use, shipped apart from the handler: provider presets, discovery, introspection of opaque
 * tokens (with its Secrets Manager client secret and HTTPS form POST). The bundle builds this module into its own file
 * (`extensions.js`, next to `index.js`), loaded on first use through split-features-loader.ts: a deployment whose
 * issuers use none of it never reads, compiles nor ships it in the file loaded at cold start.
 */
export { PROVIDERS, providerDefaults } from './issuer-presets';
export { parseIntrospectionConfig } from './introspection-config';
export { createIssuerFeatures } from './issuer-features';
export { claimSource, expandTenantTemplates, withIssuerDefaults } from './issuer-defaults';
