// The benchmark harness: every figure is measured beside its baseline in the same run, several
// times, and reported as the median with the spread (min-max) of the runs.

export interface Options {
  /** A short run that only checks the suite still works (CI), not its numbers. */
  quick: boolean;
  runs: number;
}

export interface Sample {
  median: number;
  min: number;
  max: number;
}

export interface Row {
  group: string;
  name: string;
  unit: string;
  figure: Sample;
  baselineName: string;
  baseline: Sample;
  /** figure / baseline, oriented so that higher is better when `higherIsBetter`. */
  higherIsBetter: boolean;
  /** Print figure / baseline as it is (a cost ratio such as "wall <= 1.03"), whichever is better. */
  plainRatio?: boolean;
  target?: string;
  note?: string;
}

export function sample(values: number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Runs each measurement `runs` times, alternating them so that drift hits all alike. */
export async function interleaved(runs: number, measurements: Array<() => Promise<number> | number>): Promise<Sample[]> {
  const results: number[][] = measurements.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let m = 0; m < measurements.length; m++) results[m].push(await measurements[m]());
  }
  return results.map(sample);
}

export function ratio(row: Row): number {
  const r = row.figure.median / row.baseline.median;
  return row.higherIsBetter || row.plainRatio ? r : 1 / r;
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const spread = (s: Sample): string => `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`;

export function printTable(rows: Row[]): string {
  const header = ['benchmark', 'figure', 'baseline', 'ratio', 'target'];
  const body = rows.map((row) => [
    `${row.group}: ${row.name}`,
    `${spread(row.figure)} ${row.unit}`,
    `${row.baselineName}: ${spread(row.baseline)} ${row.unit}`,
    Number.isFinite(ratio(row)) && ratio(row) > 0 ? `${ratio(row).toFixed(2)}x` : '-',
    row.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.group}: ${r.name}: ${r.note}`);
  return [...out, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function throughput(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

/** The row of a benchmark that could not run (no sshd here, say): why, in its note. */
export function skipped(group: string, name: string, baselineName: string, err: unknown): Row {
  const why = (err as Error).message.split('\n')[0];
  return {
    group,
    name,
    unit: '',
    figure: sample([0]),
    baselineName,
    baseline: sample([0]),
    higherIsBetter: false,
    note: `skipped: ${why}`,
  };
}
