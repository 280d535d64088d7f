/**
 * The processes under a pid, from /proc (Linux), each with its start time so that a pid the
 * kernel hands out again is never taken for the process that had it before.
 */
import * as fs from 'node:fs';

/** One process, as /proc shows it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  /** Clock ticks after boot. */
  readonly startTime: string;
  readonly command: string;
}

/** The process `pid`, or undefined when it no longer exists. */
export const processEntry = (pid: number): ProcessEntry | undefined => {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the fields after it do not.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { pid, ppid: Number(fields[1]), state: fields[0], startTime: fields[19], command: stat.slice(stat.indexOf('(') + 1, close) };
};

/** Every process below `pid` (children, their children, ...). */
export const descendants = (pid: number): ProcessEntry[] => {
  const all = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map((name) => processEntry(Number(name)))
    .filter((entry): entry is ProcessEntry => entry !== undefined);
  const found: ProcessEntry[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = all.filter((entry) => parents.has(entry.ppid));
    found.push(...children);
    parents = new Set(children.map((entry) => entry.pid));
  }
  return found;
};

/** True while the very process of `entry` still runs (a zombie has ended). */
export const stillRunning = (entry: ProcessEntry): boolean => {
  const now = processEntry(entry.pid);
  return now !== undefined && now.startTime === entry.startTime && now.state !== 'Z';
};
