/**
 * The control-plane client's pacing and backoff, with a clock whose sleeps only move time.
 */
import { APIGatewayClient, CreateDeploymentCommand, GetRestApiCommand, UpdateMethodCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../cli/attach/control-plane';
import { AttachFailure } from '../../cli/attach/errors';
import { badRequest, conflict, tooManyRequests } from './fake-api-gateway';
import { fakeClock } from './support';

const stub = mockClient(APIGatewayClient);
afterEach(() => stub.reset());
// Test files share their worker's modules (vitest.config.mts): give the client class back its real send.
afterAll(() => stub.restore());

function controlPlane(options: { random?: () => number } = {}) {
  const clock = fakeClock();
  const sleeps: number[] = [];
  const plane = new ControlPlane({
    client: new APIGatewayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    clock: { now: clock.now, sleep: async (ms) => { sleeps.push(ms); await clock.sleep(ms); } },
    random: options.random ?? (() => 0.5),
  });
  return { plane, clock, sleeps };
}

describe('Class: ControlPlane', () => {
  it('spaces CreateDeployment calls at least 5 s apart (the fixed quota: 1 every 5 s)', async () => {
    stub.on(CreateDeploymentCommand).resolves({ id: 'd' });
    const { plane, clock } = controlPlane();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      await plane.call('CreateDeployment', new CreateDeploymentCommand({ restApiId: 'a', stageName: 'prod' }), 'a/prod');
      times.push(clock.now());
    }
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(5000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(5000);
  });

  it('spaces other calls at least 100 ms apart (10 per second per account)', async () => {
    stub.on(UpdateMethodCommand).resolves({});
    const { plane, clock } = controlPlane();
    const start = clock.now();
    for (let i = 0; i < 11; i++) {
      await plane.call('UpdateMethod', new UpdateMethodCommand({ restApiId: 'a', resourceId: 'r', httpMethod: 'GET' }), 'GET /');
    }
    expect(clock.now() - start).toBeGreaterThanOrEqual(1000);
  });

  it('backs off exponentially with jitter, capped, and honours retryAfterSeconds', async () => {
    stub
      .on(GetRestApiCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(tooManyRequests('7'))
      .resolves({ id: 'a' });
    const { plane, sleeps } = controlPlane({ random: () => 0.999 });
    await expect(plane.call('GetRestApi', new GetRestApiCommand({ restApiId: 'a' }), 'a')).resolves.toEqual(expect.objectContaining({ id: 'a' }));
    // 500 ms, then 1 s (times ~1 for random 0.999), then the service's 7 s.
    expect(sleeps.filter((ms) => ms > 200)).toEqual([499, 999, 7000]);
    expect(plane.retries).toBe(3);
  });

  it('does not retry what a retry cannot fix, and says which call failed', async () => {
    stub.on(UpdateMethodCommand).rejects(badRequest('Invalid patch path /nope'));
    const { plane, sleeps } = controlPlane();
    await expect(plane.call('UpdateMethod', new UpdateMethodCommand({ restApiId: 'a', resourceId: 'r', httpMethod: 'GET' }), 'GET /x')).rejects.toThrow(
      new AttachFailure('UpdateMethod (GET /x) failed: BadRequestException: Invalid patch path /nope'),
    );
    expect(stub.commandCalls(UpdateMethodCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('stops after 8 attempts', async () => {
    stub.on(UpdateMethodCommand).rejects(tooManyRequests());
    const { plane } = controlPlane();
    await expect(plane.call('UpdateMethod', new UpdateMethodCommand({ restApiId: 'a', resourceId: 'r', httpMethod: 'GET' }), 'GET /x')).rejects.toThrow(
      /^UpdateMethod \(GET \/x\) still failed after 8 attempts: TooManyRequestsException/,
    );
    expect(stub.commandCalls(UpdateMethodCommand)).toHaveLength(8);
  });
});
