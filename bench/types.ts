/**
 * The performance suite's vocabulary (`npm run bench`, bench/main.ts): every section measures
 * the engine and its bare-Temporal (or bare-Fastify) counterpart side by side, in the same run
 * on the same server, and answers rows that carry both figures and their ratio.
 */
import type { Stack } from '../scripts/stack';

export interface Figure {
  value: number;
  /** e.g. 'payments/s', 'ms', 'MB', 'requests/s'. */
  unit: string;
}

export interface BenchRow {
  /** The section (throughput, webhook, parked, cold-start, verification). */
  section: string;
  /** What the row measures, e.g. 'prakerja: start to COMPLETED', 'webhook to completed p99'. */
  name: string;
  engine: Figure;
  /** The same measured without the engine (a bare workflow, a bare signal, a bare route). */
  baseline: Figure & { what: string };
  /**
   * engine / baseline, oriented so the goal reads as in the issue: for a rate it is
   * engine/baseline (higher is better); for a latency or memory, engine/baseline too (lower is
   * better). `better` says which.
   */
  ratio: number;
  better: 'higher' | 'lower';
  /** The goal for this row, when it has one, and whether this run met it. */
  goal?: { text: string; met: boolean };
  /** Counts and settings behind the figure (n, concurrency), for the JSON and the table's notes. */
  detail?: Record<string, number | string>;
}

export interface BenchContext {
  /** The local stack, started once for the whole suite (unsupervised, sandbox at zero latency). */
  stack: Stack;
  /** --quick: small counts, the whole suite under three minutes. */
  quick: boolean;
  log(line: string): void;
}

export type BenchSection = (ctx: BenchContext) => Promise<BenchRow[]>;
