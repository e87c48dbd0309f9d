/**
 * Prop validation errors in the aws-cdk-lib style: the message starts with the prop's name, so a user sees which prop
 * to fix. The authorizer core's ConfigurationError (named after a setting) is re-labelled with the prop.
 */
import { ConfigurationError } from '../lambda/errors';

export function fail(prop: string, message: string): never {
  throw new Error(`${prop}: ${message}`);
}

/** Runs a check written for the function's settings and reports its failure under the prop's name. */
export function asProp<T>(prop: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigurationError) throw new Error(error.message.startsWith(prop) ? error.message : `${prop}: ${error.message}`);
    throw error;
  }
}
