/**
 * Stops the local mode when whatever launched it goes away. `npm start` runs npm -> sh -> tsx -> node: a SIGTERM or
 * SIGINT sent to npm's process alone ends npm and its shell, but tsx and this process would live on (orphaned), still
 * holding the ports. So this process notes the chain of its ancestors at start and checks it periodically; when a
 * link of the chain has gone (its parent changed, or it no longer exists), it calls `onGone` once.
 *
 * Linux reads /proc/<pid>/stat; elsewhere `ps -o ppid= -p <pid>` answers the same question.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** How far up the watch looks: tsx, the shell npm runs scripts with, npm itself. */
const ANCESTOR_DEPTH = 3;

/** The parent pid of `pid`, or undefined when there is no such process. */
export function parentOf(pid: number): number | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "<pid> (<command, may hold spaces and parens>) <state> <ppid> ...": the fields after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]);
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const ppid = Number(out.trim());
    return Number.isInteger(ppid) && out.trim() !== '' ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This process and its ancestors, nearest first, stopping below init (pid 1): each entry's parent is the next one.
 * The last one's own parent is not watched, so `npm start &` in a script that then exits keeps running.
 */
export function launchChain(depth = ANCESTOR_DEPTH): number[] {
  const chain = [process.pid];
  for (let level = 0; level < depth; level++) {
    const pid = chain[chain.length - 1]!;
    const parent = pid === process.pid ? process.ppid : parentOf(pid);
    if (parent === undefined || parent <= 1) break;
    chain.push(parent);
  }
  return chain;
}

export interface LauncherWatch {
  stop(): void;
}

/** Calls `onGone` once when a process of the launch chain has exited. The timer never keeps the process alive. */
export function watchLauncher(onGone: () => void, intervalMs = 500): LauncherWatch {
  const chain = launchChain();
  const timer = setInterval(() => {
    // A process whose parent exited is handed to another (init or a subreaper): its parent pid changes.
    const broken = chain.slice(0, -1).some((pid, i) => (pid === process.pid ? process.ppid : parentOf(pid)) !== chain[i + 1]);
    if (!broken) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
