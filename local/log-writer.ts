/**
 * The local mode's log output: whole lines, in the order they are logged, written to stdout together once per turn
 * of the event loop instead of one write per line. Under load that is one system call for the access-log and
 * decision lines of every request served in that turn (two lines a request otherwise cost two writes, the largest
 * per-request cost of the local gateway after the HTTP response itself). Nothing is dropped or shortened: a line
 * reaches stdout at most one turn late, at once when the buffer passes 64 KB, and on `flush()` and process exit.
 */
const FLUSH_AT_CHARS = 64 * 1024;

export class LineWriter {
  private pending = '';
  private scheduled = false;
  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly out: (text: string) => void = (text) => void process.stdout.write(text)) {}

  /** Queues one line (without its newline). */
  readonly line = (text: string): void => {
    this.pending += `${text}\n`;
    if (this.pending.length >= FLUSH_AT_CHARS) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  };

  /** Writes what is queued now. */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.out(text);
  }
}
