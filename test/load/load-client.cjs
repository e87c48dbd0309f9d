#!/usr/bin/env node
/**
 * The load generator of the mixed-credential load test, run as a second process: autocannon against the local
 * gateway on loopback, every request carrying its own credential and its expected status, every answer checked.
 * Input: a JSON file { url, connections, amount, requests: [{ method, path, authorization?, expect }] }.
 * Output (stdout): one JSON object with the counts.
 */
'use strict';
const autocannon = require('autocannon');
const { readFileSync } = require('node:fs');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(spec.url)) throw new Error('load targets loopback only');

const byStatus = {};
const wrong = [];
let checked = 0;
// One request template: every connection takes the next entry of the shared list (autocannon would otherwise replay
// the list from its start on each connection), so all entries are used and the kinds stay mixed.
let next = 0;
const requests = [
  {
    setupRequest: (request, context) => {
      const entry = spec.requests[next++ % spec.requests.length];
      context.entry = entry;
      request.method = entry.method;
      request.path = entry.path;
      request.headers = entry.authorization === undefined ? {} : { authorization: entry.authorization };
      return request;
    },
    onResponse: (status, _body, context) => {
      const entry = context.entry;
      checked++;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (status !== entry.expect) wrong.push(wrong.length < 20 ? { kind: entry.kind, expected: entry.expect, status } : null);
    },
  },
];

const instance = autocannon(
  { url: spec.url, connections: spec.connections, amount: spec.amount, requests, timeout: 10 },
  (error, result) => {
    if (error) throw error;
    process.stdout.write(
      JSON.stringify({
        sent: result.requests.sent,
        checked,
        wrong: wrong.length,
        wrongSamples: wrong.filter(Boolean),
        byStatus,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
        requestsPerSecond: result.requests.average,
        durationSeconds: result.duration,
      }),
    );
  },
);
process.once('SIGINT', () => instance.stop());
