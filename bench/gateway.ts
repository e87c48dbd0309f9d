/**
 * The gateway section: requests/s through the local gateway (`npm start`, local/start.ts) of `GET /whoami`
 * with a JWT and the gateway's authorizer cache off (AUTHORIZER_CACHE_TTL=0, so every request invokes the
 * authorizer), against the public `GET /health`, measured with autocannon from this process (the gateway runs in
 * its own; its output goes to a file). Rounds alternate the two routes; the ratio is per round, then the median. Loopback only.
 * Skipped, with a note, when local/start.ts is absent or the local mode does not start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, progress } from './lib/child';
import { median } from './lib/stats';

export interface GatewayRouteResult {
  readonly route: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

export type GatewayResult =
  | { readonly skipped: string }
  | { readonly rounds: number; readonly seconds: number; readonly connections: number; readonly health: GatewayRouteResult; readonly whoami: GatewayRouteResult; readonly ratio: number };

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** client_credentials token from the local issuer (its self-signed certificate: loopback only, bench only). */
function fetchToken(issuerPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = 'grant_type=client_credentials&scope=items%3Aread';
    const req = request(
      {
        host: '127.0.0.1',
        port: issuerPort,
        path: '/oauth2/token',
        method: 'POST',
        rejectUnauthorized: false,
        headers: {
          authorization: `Basic ${Buffer.from('local-reader:local-reader-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            const token = (JSON.parse(text) as { access_token?: string }).access_token;
            if (res.statusCode === 200 && token) resolve(token);
            else reject(new Error(`token endpoint answered ${res.statusCode}: ${text.slice(0, 200)}`));
          } catch (error) {
            reject(error as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Waits until the local mode answers GET /health. Its output goes to a file, not to this process: the load
 * generator runs here, and reading the gateway's log lines (two per authorized request) was load on the client side.
 */
async function waitForReady(child: ChildProcess, base: string, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-800) : '');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`local mode exited with ${child.exitCode}: ${log()}`);
    if (Date.now() > deadline) throw new Error(`local mode not ready after ${timeoutMs} ms: ${log()}`);
    const ok = await fetch(`${base}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function runGateway(options: { seconds: number; rounds: number; connections?: number }): Promise<GatewayResult> {
  if (!existsSync(join(REPO_ROOT, 'local', 'start.ts'))) {
    return { skipped: 'local/start.ts is absent' };
  }
  const connections = options.connections ?? 10;
  const [port, issuerPort, dynamoPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-local-'));
  progress(`gateway: starting the local mode on 127.0.0.1:${port}`);
  const logFile = join(dataDir, 'local-mode.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'local', 'start.ts'), '--memory'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', logFd, logFd],
    env: {
      ...process.env,
      PORT: String(port),
      ISSUER_PORT: String(issuerPort),
      DYNAMODB_PORT: String(dynamoPort),
      AUTHORIZER_CACHE_TTL: '0',
      PORTCULLIS_LOCAL_DIR: dataDir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  try {
    try {
      await waitForReady(child, `http://127.0.0.1:${port}`, logFile, 60_000);
    } catch (error) {
      const message = (error as Error).message;
      const cause = /Cannot find module '[^']*'|\w*Error: [^\n]*/.exec(message)?.[0] ?? message.slice(0, 300);
      return { skipped: `the local mode (local/start.ts) did not start: ${cause}` };
    }
    const token = await fetchToken(issuerPort);
    const base = `http://127.0.0.1:${port}`;
    const run = (path: string, headers: Record<string, string>, seconds: number) =>
      autocannon({ url: `${base}${path}`, connections, duration: seconds, headers });
    // Warm-up (JWKS fetch, JIT) and a check that both routes answer 200.
    for (const [path, headers] of [['/health', {}], ['/whoami', { authorization: `Bearer ${token}` }]] as const) {
      const warm = await run(path, headers, 1);
      if (warm.non2xx > 0 || warm.errors > 0) return { skipped: `${path} answered non-2xx/errors during warm-up (${warm.non2xx}/${warm.errors})` };
    }
    const health: AutocannonResult[] = [];
    const whoami: AutocannonResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      progress(`gateway: round ${round + 1}/${options.rounds}`);
      const order = round % 2 === 0 ? ['health', 'whoami'] : ['whoami', 'health'];
      for (const which of order) {
        if (which === 'health') health.push(await run('/health', {}, options.seconds));
        else whoami.push(await run('/whoami', { authorization: `Bearer ${token}` }, options.seconds));
      }
    }
    const summary = (route: string, results: AutocannonResult[]): GatewayRouteResult => ({
      route,
      requestsPerSecond: median(results.map((r) => r.requests.average)),
      p50Ms: median(results.map((r) => r.latency.p50)),
      p99Ms: median(results.map((r) => r.latency.p99)),
      non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    });
    return {
      rounds: options.rounds,
      seconds: options.seconds,
      connections,
      health: summary('GET /health (public)', health),
      whoami: summary('GET /whoami (JWT, authorizer cache off)', whoami),
      ratio: median(whoami.map((w, i) => w.requests.average / health[i]!.requests.average)),
    };
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (child.exitCode === null) child.kill('SIGKILL');
    closeSync(logFd);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
