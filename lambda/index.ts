/**
 * The Lambda entry point. Configuration is read and validated here, once per container: a bad setting fails the
 * cold start with the setting's name, and API Gateway answers 500 rather than guessing. Routes and issuers come from the
 * configuration file in the function's code (CONFIG_FILE), or from the environment.
 */
import { loadConfig } from './config';
import { createAuthorizerHandler } from './create-handler';

// The configuration file (CONFIG_FILE) ships next to this bundle.
export const handler = createAuthorizerHandler(loadConfig(process.env, { configDir: __dirname })).handler;
