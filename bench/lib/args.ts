/** Command-line options of `npm run bench` (also accepted by the section scripts when run on their own). */
export interface BenchOptions {
  /** Rounds of the in-process cases (each round runs every case, interleaved). */
  readonly rounds: number;
  /** Timed calls per case per round. */
  readonly iterations: number;
  /** Each round is cut into this many slices; every slice runs every case in a fresh random order. */
  readonly slices: number;
  /** Timed calls per round for the API key cache-miss case (each is a DynamoDB read). */
  readonly missIterations: number;
  /** Alternating fresh-process runs per bundle for the cold start. */
  readonly coldRuns: number;
  /** autocannon seconds per route per round for the gateway part. */
  readonly gatewaySeconds: number;
  readonly json: boolean;
  /** Sections to run: micro, cold, profile, cpu, gateway. */
  readonly sections: ReadonlySet<string>;
  /** Only cases whose name contains one of these strings (micro section). */
  readonly filter: readonly string[];
  readonly quick: boolean;
  /** A git ref whose lambda/ is bundled too and timed side by side with the working tree (micro section). */
  readonly baseline?: string;
}

export const ALL_SECTIONS = ['micro', 'cold', 'profile', 'cpu', 'gateway', 'cache-keys'] as const;

const HELP = `Usage: npm run bench -- [options]

  --rounds N          rounds of the in-process cases (default 7; --quick 3)
  --iterations N      timed calls per case per round (default 1000; --quick 300)
  --slices N          slices per round, each running every case in a new random order (default 4)
  --miss-iterations N API-key cache-miss calls per round (DynamoDB reads; default 100; --quick 40)
  --cold-runs N       fresh-process runs per bundle, alternating (default 60: a spawn's time varies by milliseconds; --quick 10)
  --gateway-seconds N autocannon duration per route per round (default 5)
  --only a,b          sections: micro, cold, profile, cpu, gateway, cache-keys (default: all but cpu)
  --filter s1,s2      micro cases whose name contains one of the strings
  --baseline REF      also time lambda/ as of git ref REF (e.g. main, HEAD~3), side by side in the same
                      rounds: cases "baseline ..." and a p50/baseline column (micro section)
  --quick             fewer rounds and iterations (a smoke run; figures are rough)
  --json              print one JSON document instead of tables
`;

function intOption(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function listOption(argv: string[], name: string): string[] | undefined {
  const index = argv.indexOf(name);
  if (index < 0) return undefined;
  return (argv[index + 1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function stringOption(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(HELP);
    process.exit(0);
  }
  const quick = argv.includes('--quick');
  const only = listOption(argv, '--only');
  for (const section of only ?? []) {
    if (!(ALL_SECTIONS as readonly string[]).includes(section)) throw new Error(`unknown section ${section}`);
  }
  return {
    rounds: intOption(argv, '--rounds', quick ? 3 : 7),
    iterations: intOption(argv, '--iterations', quick ? 300 : 1000),
    slices: intOption(argv, '--slices', 4),
    missIterations: intOption(argv, '--miss-iterations', quick ? 40 : 100),
    coldRuns: intOption(argv, '--cold-runs', quick ? 10 : 60),
    gatewaySeconds: intOption(argv, '--gateway-seconds', quick ? 2 : 5),
    json: argv.includes('--json'),
    sections: new Set(only ?? ['micro', 'cold', 'profile', 'gateway', 'cache-keys']),
    filter: listOption(argv, '--filter') ?? [],
    quick,
    baseline: stringOption(argv, '--baseline'),
  };
}

/** Turns options back into argv for a section script run in a child process. */
export function optionsToArgv(options: BenchOptions): string[] {
  const argv = [
    '--rounds', String(options.rounds),
    '--iterations', String(options.iterations),
    '--slices', String(options.slices),
    '--miss-iterations', String(options.missIterations),
    '--cold-runs', String(options.coldRuns),
    '--gateway-seconds', String(options.gatewaySeconds),
  ];
  if (options.filter.length > 0) argv.push('--filter', options.filter.join(','));
  if (options.baseline !== undefined) argv.push('--baseline', options.baseline);
  return argv;
}
