/**
 * `npm run token -- [options]`: prints one access token of the local issuer on stdout, and nothing else (notes go
 * to stderr). See local/token.ts for the options. Exit codes: 0 a token, 2 bad input (unknown option or client,
 * bad value), 1 any other failure.
 */
import { loadDevClients } from '../local/dev-clients';
import { defaultDataDir, localPaths } from '../local/state';
import { mintLocalToken, parseTokenArgs, TOKEN_USAGE, TokenUsageError } from '../local/token';
// --profile, --roles and --cert (provider-shaped and certificate-bound tokens): local/token-profiles.ts.
import { mintExtendedToken, PROFILE_USAGE, splitExtendedTokenArgs } from '../local/token-profiles';

try {
  const extended = splitExtendedTokenArgs(process.argv.slice(2));
  const request = parseTokenArgs(extended.rest, loadDevClients());
  if (request.help) {
    process.stderr.write(`${TOKEN_USAGE}\n\n${PROFILE_USAGE}\n`);
  } else {
    const paths = localPaths(defaultDataDir());
    const { token, keyCreated } =
      extended.options.profile !== undefined || extended.options.certFile !== undefined
        ? mintExtendedToken(request, extended.options, paths, (plain) => mintLocalToken(plain, paths, process.env))
        : mintLocalToken(request, paths, process.env);
    if (keyCreated) {
      process.stderr.write(`Created the local issuer's signing key in ${paths.signingKey}; npm start publishes it.\n`);
    }
    process.stdout.write(`${token}\n`);
  }
} catch (error) {
  const message = error instanceof TokenUsageError ? `error: ${error.message}\n\n${TOKEN_USAGE}` : `error: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  // Exit codes as the keys CLI: 2 bad input, 1 anything else.
  process.exitCode = error instanceof TokenUsageError ? 2 : 1;
}
