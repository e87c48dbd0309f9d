/**
 * The login page of the local issuer, once in a real headless browser (Debian's chromium driven by puppeteer-core):
 * the developer picks a dev user and allows; the browser lands on the client's redirect URI with a code, which
 * openid-client redeems with its PKCE verifier; the token then reaches the API through the local gateway.
 *
 * Without chromium this test is skipped outside CI, and fails in CI (CI=true): .ci/run installs it.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { LocalMode } from '../../local/mode';
import { call, startTestLocalMode } from './local-helpers';
import { issuerFetch, jwtClaims } from './oauth-helpers';

const REDIRECT_URI = 'http://127.0.0.1:8400/callback';
const CI = process.env.CI === 'true';

function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const chromium = findChromium();
const runBrowser = chromium !== undefined || CI;
const title = runBrowser
  ? 'signs a dev user in through the login page in headless chromium'
  : 'signs a dev user in through the login page in headless chromium (SKIPPED: chromium is not installed; apt-get install chromium)';

let local: LocalMode;
let profileDir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!runBrowser) return;
  profileDir = mkdtempSync(join(tmpdir(), 'portcullis-chromium-'));
  local = await startTestLocalMode();
});

afterAll(async () => {
  await browser?.close();
  await local?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('Login page in a real browser', () => {
  it.skipIf(!runBrowser)(title, { timeout: 90_000 }, async () => {
    if (chromium === undefined) throw new Error('CI=true but chromium is not installed: .ci/run must install it (apt-get install -y chromium)');
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      userDataDir: profileDir,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The issuer's certificate is self-signed for 127.0.0.1; the browser trusts it for this run only.
        '--ignore-certificate-errors',
      ],
    });
    const config = await client.discovery(new URL(local.issuerUrl), 'local-spa', undefined, client.None(), { [client.customFetch]: issuerFetch(local) });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'items:read items:write',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });

    const page = await browser.newPage();
    await page.setRequestInterception(true);
    let callback: URL | undefined;
    page.on('request', (request) => {
      if (request.url().startsWith(REDIRECT_URI)) {
        callback = new URL(request.url());
        void request.respond({ status: 200, contentType: 'text/plain', body: 'signed in' });
      } else void request.continue();
    });

    await page.goto(url.href);
    expect(await page.$eval('h1', (h1) => h1.textContent)).toBe('Sign in to the Portcullis local issuer');
    expect(await page.$$eval('input[name="user"]', (inputs) => inputs.map((input) => input.getAttribute('value')))).toEqual(['alice', 'bob']);
    await page.click('input[name="user"][value="bob"]');
    await Promise.all([page.waitForNavigation(), page.click('#allow')]);
    expect(await page.$eval('body', (body) => body.textContent)).toBe('signed in');

    expect(callback?.searchParams.get('state')).toBe(state);
    const tokens = await client.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: state });
    expect(jwtClaims(tokens.access_token)).toMatchObject({ sub: 'bob', client_id: 'local-spa', scope: 'items:read' });
    const whoami = await call(local, 'GET', '/whoami', `Bearer ${tokens.access_token}`);
    expect(whoami.json()).toMatchObject({ sub: 'bob', clientId: 'local-spa' });
    expect((await call(local, 'GET', '/items', `Bearer ${tokens.access_token}`)).status).toBe(200);
  });
});
