/**
 * Keeps a child of the local stack alive: a worker or gateway that dies (a crash, an OOM kill,
 * the fault campaign's SIGKILL) is logged and started again, with a backoff so a process that
 * dies at every start does not spin. Only a stop() asked for by the stack itself is left alone.
 *
 * Temporal and the sandbox are not supervised: the dev server's death is an outage the engine
 * must ride out (and `npm start` reports), and the sandbox is a provider, not ours to restart.
 */
import { ManagedProcess, type LogSink, type ManagedProcessSpec } from './managed-process';

export interface RestartPolicy {
  /** The first restart waits this long; each death in a row doubles it ... */
  initialDelayMs: number;
  /** ... up to this. */
  maxDelayMs: number;
  /** A process that stayed up this long counts as healthy again: the next death waits initialDelayMs. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  healthyAfterMs: 60_000,
};

/** The delay before restart number `deathsInARow` (1 for the first death). */
export function restartDelayMs(policy: RestartPolicy, deathsInARow: number): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.max(0, deathsInARow - 1), policy.maxDelayMs);
}

export class SupervisedProcess {
  private current: ManagedProcess;
  private stopped = false;
  private deathsInARow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** How many times it was restarted after a death (the campaign's table reads it). */
  restarts = 0;

  constructor(
    readonly spec: ManagedProcessSpec,
    private readonly log: LogSink,
    /** Without one, a death is only logged: tests that kill a worker restart it themselves. */
    private readonly policy?: RestartPolicy,
  ) {
    this.current = new ManagedProcess(spec, log);
  }

  get running(): boolean {
    return this.current.running;
  }

  get pid(): number | undefined {
    return this.current.pid;
  }

  /** Starts the process; throws when the first start fails (nothing to supervise then). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.launch();
  }

  /** SIGKILL, unasked: the supervisor sees a death and restarts it after its backoff. */
  crash(): void {
    this.current.crash();
  }

  /** Starts it now if it is down (a pending restart is brought forward). */
  async ensureRunning(): Promise<void> {
    this.stopped = false;
    if (this.current.running) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.launch();
  }

  async stop(signal?: NodeJS.Signals): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.current.stop(signal);
  }

  private async launch(): Promise<void> {
    const process = new ManagedProcess(this.spec, this.log);
    this.current = process;
    const startedAt = Date.now();
    await process.start();
    void process.whenExited().then(() => this.onExit(process, startedAt));
  }

  private onExit(process: ManagedProcess, startedAt: number): void {
    if (this.stopped || process !== this.current || process.stopWasRequested) return;
    if (!this.policy) {
      this.log(this.spec.name, `${this.spec.name} died (${process.exitedHow}); not supervised`);
      return;
    }
    if (Date.now() - startedAt >= this.policy.healthyAfterMs) this.deathsInARow = 0;
    this.deathsInARow += 1;
    this.scheduleRestart(`${this.spec.name} died (${process.exitedHow})`);
  }

  private scheduleRestart(why: string): void {
    const delay = restartDelayMs(this.policy ?? DEFAULT_RESTART_POLICY, this.deathsInARow);
    this.log(this.spec.name, `supervisor: ${why}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.launch().then(
        () => {
          this.restarts += 1;
          this.log(this.spec.name, `supervisor: ${this.spec.name} restarted (pid ${this.current.pid})`);
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.deathsInARow += 1;
          this.scheduleRestart(
            `${this.spec.name} did not start again (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
          );
        },
      );
    }, delay);
  }
}
