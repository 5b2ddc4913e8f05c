/**
 * The bare workflows' one activity: does nothing, or, standing for a provider that notifies
 * later, has the bare worker signal the calling workflow after a delay (the sandbox's callback
 * reaching the gateway, which signals the saga). Runs in the bare worker process only.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

export interface NoopInput {
  /** Signals to send the calling workflow after `delayMs` (one after another). */
  signals?: number;
  delayMs?: number;
}

export interface BareActivities {
  noop(input: NoopInput): Promise<void>;
}

export function createBareActivities(client: Client): BareActivities {
  return {
    async noop({ signals = 0, delayMs = 0 }) {
      if (signals === 0) return;
      const { workflowId } = Context.current().info.workflowExecution!;
      const handle = client.workflow.getHandle(workflowId);
      // After the activity answered, as a provider's callback comes after its answer.
      setTimeout(() => {
        void (async () => {
          for (let i = 0; i < signals; i++) await handle.signal('notify', `n${i}`);
        })().catch((err: unknown) => {
          console.error(`bare provider signal to ${workflowId} failed: ${String(err)}`);
        });
      }, delayMs);
    },
  };
}
