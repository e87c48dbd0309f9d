/**
 * The Lambda entry point. Configuration is read and validated here, once per container: a bad setting fails the
 * cold start with the setting's name, and API Gateway answers 500 rather than guessing.
 */
import { loadConfig } from './config';
import { createAuthorizerHandler } from './create-handler';

export const handler = createAuthorizerHandler(loadConfig(process.env)).handler;
