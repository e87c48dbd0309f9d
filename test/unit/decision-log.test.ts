/**
 * The decision line is written by hand for speed; it must be exactly what JSON.stringify gives the documented
 * Powertools-shaped object (same fields, order, omissions, escaping), whatever the values and settings. The reference
 * below is that object, written out as the documentation describes it. fast-check, from a fixed seed: FC_SEED=<seed> runs another.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionLog, type DecisionEntry, type LogLevel } from '../../lambda/decision-log';
import { checkProperty } from '../support/property-run';


const TRACE_ENV = '_X_AMZN_TRACE_ID';
const savedTrace = process.env[TRACE_ENV];
afterEach(() => {
  if (savedTrace === undefined) delete process.env[TRACE_ENV];
  else process.env[TRACE_ENV] = savedTrace;
});

function reference(entry: DecisionEntry, options: { level: LogLevel; namespace?: string; service: string; requestId?: string; trace?: string; now: number; coldStart: boolean }): string | undefined {
  const level = entry.decision === 'error' ? 'ERROR' : 'INFO';
  const severity = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 99 };
  const logged = severity[level] >= severity[options.level];
  if (!logged && options.namespace === undefined) return undefined;
  return JSON.stringify({
    level: logged ? level : undefined,
    message: logged ? 'authorizer decision' : undefined,
    timestamp: logged ? new Date(options.now).toISOString() : undefined,
    service: options.service,
    cold_start: logged ? options.coldStart : undefined,
    function_request_id: logged ? options.requestId : undefined,
    xray_trace_id: logged ? options.trace : undefined,
    decision: entry.decision,
    reason: entry.reason,
    method: logged ? entry.method : undefined,
    route: logged ? entry.route : undefined,
    authMethod: logged ? entry.authMethod : undefined,
    principal: logged ? entry.principal : undefined,
    keyId: logged ? entry.keyId : undefined,
    cacheHit: logged ? entry.cacheHit : undefined,
    latencyMs: entry.latencyMs,
    _aws:
      options.namespace === undefined
        ? undefined
        : {
            Timestamp: options.now,
            CloudWatchMetrics: [
              {
                Namespace: options.namespace,
                Dimensions: [['service', 'decision', 'reason']],
                Metrics: [
                  { Name: 'Decisions', Unit: 'Count' },
                  { Name: 'latencyMs', Unit: 'Milliseconds' },
                ],
              },
            ],
          },
    Decisions: options.namespace === undefined ? undefined : 1,
  });
}

// Any text, including quotes, backslashes, control characters and lone surrogates.
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('"', '\\', '\u0000\n', '\ud800', '</script>'));
const entry: fc.Arbitrary<DecisionEntry> = fc.record(
  {
    decision: fc.constantFrom('allow', 'deny', 'unauthorized', 'error'),
    reason: text,
    method: text,
    route: text,
    authMethod: fc.constantFrom('jwt', 'apiKey'),
    principal: text,
    keyId: text,
    cacheHit: fc.boolean(),
    latencyMs: fc.oneof(fc.double({ noNaN: true, min: 0, max: 1e6 }), fc.constant(0.001), fc.integer({ min: 0, max: 10_000 })),
  },
  { requiredKeys: ['decision', 'reason', 'method', 'route', 'latencyMs'] },
) as fc.Arbitrary<DecisionEntry>;

describe('DecisionLog line', () => {
  it('is exactly JSON.stringify of the documented object, for any values and settings', () => {
    checkProperty(
      fc.property(
        entry,
        fc.constantFrom<LogLevel>('DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'),
        fc.option(text, { nil: undefined }),
        text,
        fc.option(text, { nil: undefined }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 1, max: 3 }),
        (decision, level, namespace, service, requestId, traceHeader, now, repeats) => {
          if (traceHeader === undefined) delete process.env[TRACE_ENV];
          else process.env[TRACE_ENV] = traceHeader;
          const trace = traceHeader === undefined ? undefined : traceHeader.split(';')[0]!.replace(/^Root=/, '');
          const lines: string[] = [];
          const log = new DecisionLog({ serviceName: service, level, metricsNamespace: namespace, write: (line) => lines.push(line), nowMs: () => now });
          const expected: Array<string | undefined> = [];
          for (let i = 0; i < repeats; i++) {
            log.decision(decision, requestId);
            expected.push(reference(decision, { level, namespace, service, requestId, trace, now, coldStart: i === 0 || expected.every((line) => line === undefined) }));
          }
          expect(lines).toEqual(expected.filter((line) => line !== undefined));
          for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
        },
      ),
      { numRuns: 1500 },
    );
  });
});
