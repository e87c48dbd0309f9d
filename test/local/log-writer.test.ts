import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../local/log-writer';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('Class: LineWriter', () => {
  it('writes the lines of one event-loop turn together, in order, each with its newline', async () => {
    const writes: string[] = [];
    const log = new LineWriter((text) => writes.push(text));
    log.line('a');
    log.line('b');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['a\nb\n']);
    log.line('c');
    await turn();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes at once when 64 KB are queued, and on flush()', () => {
    const writes: string[] = [];
    const log = new LineWriter((text) => writes.push(text));
    log.line('x'.repeat(70_000));
    expect(writes).toHaveLength(1);
    log.line('y');
    log.flush();
    expect(writes).toEqual(['x'.repeat(70_000) + '\n', 'y\n']);
    log.flush();
    expect(writes).toHaveLength(2);
  });
});
