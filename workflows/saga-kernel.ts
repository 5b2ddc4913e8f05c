/**
 * The saga kernel: the money rules every saga shares, written once.
 *
 * - **One view, one path to the search attributes.** A status change is a timeline entry, then
 *   PaysagaStatus and PaysagaNeedsReview, before the saga waits again.
 * - **Failure always parks.** `run()` catches anything a saga's phases did not plan for (an
 *   activity out of retries, a non-retryable error, a failed child, a bug) and parks the payment
 *   in NEEDS_REVIEW with the activity's name and its last failure. A workflow execution never
 *   fails: a payment waits where an operator finds it.
 * - **One operator loop.** One review Update for every saga. Its validator refuses, before the
 *   Update is accepted (so nothing reaches history), when the payment is not in review, when the
 *   action is not offered, and while another resolution or a provider check is in flight. An
 *   accepted resolution is always applied or refused with a reason, never dropped.
 * - **One first answer.** Callers that need the saga's first answer (instructions, bill) send
 *   the first-answer Update with the start.
 *
 * Activities are reached only through `sagaActivities()`, so every saga's activity list is a
 * table the tests can walk (see test/workflow/activity-failures.test.ts).
 *
 * Workflow code: deterministic, Temporal APIs only.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  defineUpdate,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  firstAnswerUpdate,
  NEEDS_REVIEW,
  resolveReviewUpdate,
  statusQuery,
  type PaymentView,
  type ResolveReviewInput,
  type ReviewInfo,
} from './saga-definitions';
import {
  SA_AMOUNT,
  SA_NEEDS_REVIEW,
  SA_ORDER_ID,
  SA_PROVIDER,
  SA_PROVIDER_REF,
  SA_STATUS,
} from './search-attributes';

/** The patch that made news unread at the end park the payment (see run()). */
const LATE_NEWS_PATCH = 'kernel-late-news-parks';
/**
 * The patch that upserts only search attributes whose value changes. The client sets every one
 * at start (client/paysaga-client.ts startOptions), and each saga's first task wrote them all
 * again: two or three upserts per payment with nothing new, each an event and a visibility write
 * on the server. The patch itself costs a marker event and the SDK's own TemporalChangeVersion
 * upsert, so a payment the client started has two upserts fewer in all (a refund or a transfer:
 * 5 -> 3); one started without search attributes (PPOB's refund child, an unmatched report) has
 * nothing to skip and pays those two events. Values are compared as Temporal holds them: exact
 * for the single keyword, int and bool values the kernel writes. Executions recorded before the
 * patch upserted every value, and replay so.
 */
const UPSERT_CHANGES_ONLY_PATCH = 'kernel-upserts-changes-only';

/** A saga's activities and the options each is called with: the saga's whole activity list. */
export type ActivityTable<T> = { readonly [K in keyof T]?: ActivityOptions };

/**
 * Proxies exactly the activities a saga's table lists (with per-run overrides, e.g. a
 * caller-chosen fulfilment timeout). The only way workflow code reaches an activity.
 */
export function sagaActivities<T, K extends keyof T & string>(
  table: { readonly [P in K]: ActivityOptions },
  overrides: Partial<Record<K, ActivityOptions>> = {},
): Pick<T, K> {
  const proxies: Record<string, unknown> = {};
  for (const name of Object.keys(table) as K[]) {
    proxies[name] = proxyActivities<Record<string, never>>(overrides[name] ?? table[name])[name];
  }
  return proxies as Pick<T, K>;
}

export interface SagaSpec<S extends string, A extends string, V extends PaymentView<S, A>> {
  view: V;
  /** Statuses in which the payment is over; the workflow returns only in one of these. */
  finalStatuses: readonly S[];
  /**
   * What an operator may do when something the saga did not plan for parks it. May depend on
   * what has happened so far (a charge to void, a payout to confirm).
   */
  unplannedActions: () => A[];
  /** Applies an accepted resolution: it may call activities, end the payment or park it again. */
  applyResolution: (r: ResolveReviewInput<A>) => Promise<void>;
  /** A saga's own rules on a resolution, beyond the kernel's (PPOB's mark-succeeded needs an sn). */
  validateResolution?: (r: ResolveReviewInput<A>) => void;
  /** Work that may settle a parked payment without a person: a payment webhook arriving. */
  whileParked?: { ready: () => boolean; run: () => Promise<void> };
  /**
   * Statuses in which the saga waits for someone other than the operator who resolved it (a
   * second operator's confirmation, the caller's bill decision). A resolution that leads there
   * answers its Update then, instead of holding the operator's call open for hours.
   */
  handOffStatuses?: readonly S[];
  /**
   * Why unread news matters once the payment is final (undefined when none does): e.g. a paid
   * webhook with a new reference that arrived as the payment ended. The payment then parks; the
   * saga takes that news out of what `whileParked` reads (it is the review's subject).
   */
  lateNews?: () => string | undefined;
  /** The review Update's name before the kernel, and how its argument reads today. */
  legacyReviewUpdate?: { name: string; toInput?: (arg: unknown) => ResolveReviewInput<A> };
}

export interface Saga<S extends string, A extends string, V extends PaymentView<S, A>> {
  readonly view: V;
  /** Moves the payment to a status other than NEEDS_REVIEW (clears any review). */
  setStatus(status: S, note: string): void;
  /** Parks the payment for a person, offering these actions. */
  park(reason: string, actions: A[], extra?: Omit<ReviewInfo<A>, 'reason' | 'actions' | 'since'>): void;
  /** A timeline line without a status change. */
  note(text: string): void;
  /** The search attributes that identify the payment. */
  tag(provider: string, orderId: string, amount: number): void;
  /** The provider's own reference (PPOB refid): how a callback finds its saga. */
  tagProviderRef(ref: string): void;
  /** The first answer callers wait for (instructions, bill) is in the view. */
  answered(): void;
  isFinal(): boolean;
  /** Runs saga code outside the phases (an Update handler's provider call), parking on the unplanned. */
  guard(fn: () => Promise<void>): Promise<void>;
  /** Runs the saga's phases, parks on anything unplanned, then serves operators until final. */
  run(phases: () => Promise<void>): Promise<V>;
}

interface Ticket<A extends string> {
  input: ResolveReviewInput<A>;
  done: boolean;
  refusal?: string;
}

export function startSaga<S extends string, A extends string, V extends PaymentView<S, A>>(
  spec: SagaSpec<S, A, V>,
): Saga<S, A, V> {
  const { view } = spec;
  const needsReview = NEEDS_REVIEW as S;
  let queued: Ticket<A> | undefined;
  /** The resolution being applied now (its Update answers when done, or at a hand-off). */
  let applying: Ticket<A> | undefined;
  let checks = 0;
  let hasFirstAnswer = false;

  const now = () => new Date(Date.now()).toISOString();
  const isFinal = () => spec.finalStatuses.includes(view.status);
  // Asked once, in the first task of every saga, so an execution's answer never changes.
  const changesOnly = patched(UPSERT_CHANGES_ONLY_PATCH);

  /** Upserts the pairs whose value differs from the one Temporal holds (all of them before the patch). */
  function upsert(pairs: SearchAttributeUpdatePair[]): void {
    const held = workflowInfo().typedSearchAttributes;
    const changed = changesOnly ? pairs.filter((p) => held.get(p.key) !== p.value) : pairs;
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  function record(status: S, note: string): void {
    if (applying && spec.handOffStatuses?.includes(status)) applying.done = true;
    view.status = status;
    view.timeline.push({ at: now(), status, note });
    upsert([
      { key: SA_STATUS, value: status },
      { key: SA_NEEDS_REVIEW, value: status === needsReview },
    ]);
  }

  const saga: Saga<S, A, V> = {
    view,
    setStatus(status, note) {
      view.review = undefined;
      record(status, note);
    },
    park(reason, actions, extra = {}) {
      view.review = { reason, actions, since: now(), ...extra };
      record(needsReview, reason);
    },
    note(text) {
      view.timeline.push({ at: now(), status: view.status, note: text });
    },
    tag(provider, orderId, amount) {
      upsert([
        { key: SA_PROVIDER, value: provider },
        { key: SA_ORDER_ID, value: orderId },
        { key: SA_AMOUNT, value: amount },
      ]);
    },
    tagProviderRef(ref) {
      upsert([{ key: SA_PROVIDER_REF, value: ref }]);
    },
    answered() {
      hasFirstAnswer = true;
    },
    isFinal,
    guard: (fn) => guarded(fn),
    async run(phases) {
      await guarded(phases);
      for (;;) {
        await operatorLoop();
        // News that arrived in the very task the payment ended (a second paid webhook) was never
        // read: a person looks, rather than the workflow closing over it. Patched: histories
        // recorded before closed without this check.
        const late = isFinal() ? spec.lateNews?.() : undefined;
        if (late !== undefined && patched(LATE_NEWS_PATCH)) {
          saga.park(late, spec.unplannedActions());
          continue;
        }
        if (isFinal()) break;
        // Phases that return in a working status are a bug in the saga: a person must look.
        saga.park(`the saga stopped in ${view.status} without an outcome`, spec.unplannedActions());
      }
      if (queued) {
        queued.refusal = `payment ${view.workflowId} ended ${view.status} before this resolution was applied`;
      }
      await condition(allHandlersFinished);
      return view;
    },
  };

  /** Runs saga code; anything it throws that it did not plan for parks the payment. */
  async function guarded(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // A cancel requested through Temporal itself is an operator's act outside the engine.
      if (isCancellation(err)) throw err;
      const { activity, message } = describeFailure(err);
      saga.park(
        activity ? `${activity} failed for good: ${message}` : `unexpected error: ${message}`,
        spec.unplannedActions(),
        activity ? { activity } : {},
      );
    }
  }

  async function operatorLoop(): Promise<void> {
    while (view.status === needsReview) {
      await condition(() => queued !== undefined || (spec.whileParked?.ready() ?? false));
      const ticket = queued;
      if (ticket) {
        const { action, operator, note } = ticket.input;
        view.resolution = { action, operator, note, at: now() };
        applying = ticket;
        await guarded(() => spec.applyResolution(ticket.input));
        applying = undefined;
        ticket.done = true;
        queued = undefined;
      } else {
        checks += 1;
        try {
          await guarded(spec.whileParked!.run);
        } finally {
          checks -= 1;
        }
      }
    }
  }

  function validate(arg: unknown): void {
    if (view.status !== needsReview)
      throw new Error(`payment ${view.workflowId} is ${view.status}, not in review`);
    // News waiting to be read (a webhook, a callback) may settle the payment: it is read first.
    if (queued || checks > 0 || spec.whileParked?.ready())
      throw new Error(
        `payment ${view.workflowId}: another resolution or a provider check is in flight; read its status and try again`,
      );
    const r = (arg ?? {}) as Partial<ResolveReviewInput>;
    if (!view.review?.actions.includes(r.action as A))
      throw new Error(`action must be one of: ${view.review?.actions.join(', ')}`);
    if (typeof r.operator !== 'string' || !r.operator.trim()) throw new Error('operator is required');
    if (typeof r.note !== 'string' || r.note.trim().length < 5)
      throw new Error('a note (what was checked) is required');
    spec.validateResolution?.(r as ResolveReviewInput<A>);
  }

  async function accept(input: ResolveReviewInput<A>): Promise<PaymentView> {
    const ticket: Ticket<A> = { input, done: false };
    // Validators refuse a second resolution, but histories recorded before the kernel (replayed
    // without validators) may hold two: the later one is refused, never left waiting.
    if (queued) ticket.refusal = `payment ${view.workflowId}: another resolution was being applied`;
    else queued = ticket;
    await condition(() => ticket.done || ticket.refusal !== undefined);
    if (ticket.refusal) throw ApplicationFailure.nonRetryable(ticket.refusal, 'ResolutionNotApplied');
    return view;
  }

  setHandler(statusQuery, () => view);
  setHandler(resolveReviewUpdate, (input) => accept(input as ResolveReviewInput<A>), { validator: validate });
  const legacy = spec.legacyReviewUpdate;
  if (legacy) {
    const read = legacy.toInput ?? ((arg: unknown) => arg as ResolveReviewInput<A>);
    setHandler(defineUpdate<PaymentView, [unknown]>(legacy.name), (arg) => accept(read(arg)), {
      validator: (arg) => validate(read(arg)),
    });
  }
  setHandler(firstAnswerUpdate, async () => {
    await condition(() => hasFirstAnswer || view.status === needsReview || isFinal());
    return view;
  });

  return saga;
}

/** The activity (or child) that failed and the innermost message, for the review reason. */
function describeFailure(err: unknown): { activity?: string; message: string } {
  if (err instanceof ActivityFailure) return { activity: err.activityType, message: innermost(err) };
  if (err instanceof ChildWorkflowFailure)
    return { activity: `child workflow ${err.workflowType}`, message: innermost(err) };
  return { message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

function innermost(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}

export interface PollPlan {
  /** How long the saga waits for a final answer before it asks a person. */
  deadlineMs: number;
  /** The first wait between checks; it doubles up to maxMs. */
  firstMs: number;
  maxMs: number;
  /** A provider's news (a webhook, a callback) asks at once instead of waiting for the next poll. */
  hinted: () => boolean;
  clearHint: () => void;
  /** One check with the provider; true once the payment is settled. `hinted`: asked because of news. */
  check: (hinted: boolean) => Promise<boolean>;
}

/**
 * Asks the provider until it gives a final answer: at once on news, else on a doubling poll.
 * Returns false at the deadline (the saga then parks: a pending payment is never guessed at).
 */
export async function pollUntilSettled(plan: PollPlan): Promise<boolean> {
  const deadline = Date.now() + plan.deadlineMs;
  let interval = plan.firstMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await condition(plan.hinted, Math.min(interval, remaining));
    const hinted = plan.hinted();
    plan.clearHint();
    if (await plan.check(hinted)) return true;
    interval = Math.min(interval * 2, plan.maxMs);
  }
}

/** For sagas that read a failure they planned for: the innermost message. */
export function failureMessage(err: unknown): string {
  return err instanceof Error ? innermost(err) : String(err);
}

export { NEEDS_REVIEW };
