/**
 * A child process of the local stack: started, watched until it says it is ready, its output
 * prefixed and forwarded, and stopped gracefully (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ManagedProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** A line of output that means "ready". Without it, the process is ready once spawned. */
  readyPattern?: RegExp;
  readyTimeoutMs?: number;
}

export type LogSink = (name: string, line: string) => void;

// Children must not outlive the launcher: whatever way it exits (an error, process.exit), the
// ones still running are killed. (A SIGKILLed launcher cannot run this; its children then need
// `pkill -f paysaga` by hand.)
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  /** Set by stop(): an exit after it was asked for, not a death a supervisor should answer. */
  private stopRequested = false;
  /** How the last run ended ('exit code 1', 'killed by SIGKILL'), for the supervisor's log line. */
  exitedHow = '';
  /** The last lines of output, attached to start-up errors so a failure says why. */
  private readonly recent: string[] = [];

  constructor(
    readonly spec: ManagedProcessSpec,
    private readonly log: LogSink,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const { name, command, args, env, cwd, readyPattern, readyTimeoutMs = 90_000 } = this.spec;
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stopRequested = false;
    liveChildren.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exitedHow = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve(code);
      }),
    );

    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.recent.push(line);
        if (this.recent.length > 15) this.recent.shift();
        this.log(name, line);
        if (readyPattern?.test(line)) markReady();
      });
    }
    if (!readyPattern) markReady();

    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`${name}: cannot start ${command}: ${err.message}`)));
      void this.exited.then((code) =>
        reject(new Error(`${name} exited (code ${code}) before it was ready${this.tail()}`)),
      );
      timer = setTimeout(
        () => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
    });
    try {
      await Promise.race([ready, failed]);
    } catch (err) {
      await this.stop('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when the process ended (or is ending) because stop() asked it to. */
  get stopWasRequested(): boolean {
    return this.stopRequested;
  }

  /** SIGKILL without asking: to a supervisor this is a crash (the fault campaign's worker kill). */
  crash(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  /** Resolves with the exit code when the process ends (for callers racing a readiness check). */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  tail(): string {
    return this.recent.length ? `; last output:\n  ${this.recent.join('\n  ')}` : '';
  }

  /** Stops the process: `signal` first, SIGKILL if it is still alive after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    this.stopRequested = true;
    if (!this.running) return;
    this.child!.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
