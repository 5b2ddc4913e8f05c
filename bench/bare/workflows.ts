/**
 * Bare Temporal workflows for the performance suite's baselines: what a saga costs with nothing
 * of the engine around it (no codec, no search attributes, no timeline, no status query), only
 * the same shape of work. One workflow, `bareSaga`, runs a plan of steps, so every saga's happy
 * path is mirrored by a list (bench/bare/plans.ts) rather than by a workflow of its own.
 *
 * Workflow code: deterministic, Temporal APIs only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BareActivities } from './activities';

/** One step of a bare saga. */
export type BareStep =
  /** A no-op activity. */
  | { kind: 'activity' }
  /**
   * A no-op activity standing for a call to a provider that later notifies: the bare worker
   * sends `signals` signals to this workflow `delayMs` after the call (as the sandbox's callback
   * reaches the gateway, which signals the saga).
   */
  | { kind: 'provider'; signals: number; delayMs: number }
  /** Waits (with a timer, as the sagas do) for the `input` Update; its handler waits for `answerInput`. */
  | { kind: 'awaitInput'; timeoutMs: number }
  /** Answers the `input` Update. */
  | { kind: 'answerInput' }
  /** Answers the `firstAnswer` Update (sent with the start: update-with-start). */
  | { kind: 'firstAnswer' }
  /** Waits (with a timer; started again while none arrived) until `count` signals arrived in all. */
  | { kind: 'awaitSignals'; count: number; timeoutMs: number }
  /**
   * Upserts a keyword search attribute (`PaysagaStatus`, registered on the stack's server), as the
   * sagas do at every status: not in the baseline plans, for experiments that weigh that cost.
   */
  | { kind: 'upsert'; value: string };

export interface BarePlan {
  steps: BareStep[];
}

export const bareInputUpdate = defineUpdate<string, [string]>('input');
export const bareFirstAnswerUpdate = defineUpdate<string>('firstAnswer');
export const bareSignal = defineSignal<[string]>('notify');

const STATUS_KEY = defineSearchAttributeKey('PaysagaStatus', SearchAttributeType.KEYWORD);

const { noop } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareSaga(plan: BarePlan): Promise<string> {
  let input: string | undefined;
  let inputAnswered = false;
  let firstAnswered = false;
  let signals = 0;
  setHandler(bareSignal, () => {
    signals += 1;
  });
  setHandler(bareInputUpdate, async (value) => {
    input = value;
    await condition(() => inputAnswered);
    return 'ok';
  });
  setHandler(bareFirstAnswerUpdate, async () => {
    await condition(() => firstAnswered);
    return 'answered';
  });
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'activity':
        await noop({});
        break;
      case 'provider':
        await noop({ signals: step.signals, delayMs: step.delayMs });
        break;
      case 'awaitInput':
        while (input === undefined) await condition(() => input !== undefined, step.timeoutMs);
        break;
      case 'answerInput':
        inputAnswered = true;
        break;
      case 'firstAnswer':
        firstAnswered = true;
        break;
      case 'awaitSignals':
        while (signals < step.count) await condition(() => signals >= step.count, step.timeoutMs);
        break;
      case 'upsert':
        upsertSearchAttributes([{ key: STATUS_KEY, value: step.value }]);
        break;
    }
  }
  firstAnswered = true;
  inputAnswered = true;
  return 'done';
}
