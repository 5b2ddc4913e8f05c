/**
 * Every saga the engine runs, by name: its workflow type, statuses, final statuses, review
 * actions and activity table. The client, the CLI, the gateway, the README check and the
 * activity-failure test read the lists from here, so none of them is typed twice.
 *
 * Loaded in Node processes only (the workflow bundle's entry is index.ts).
 */
import {
  KLINK_REFUND_ACTIVITIES,
  KLINK_REFUND_FINAL_STATUSES,
  KLINK_REFUND_REVIEW_ACTIONS,
  KLINK_REFUND_STATUSES,
  KLINK_REFUND_WORKFLOW_TYPE,
} from './klink-refund-definitions';
import {
  KWALLET_TRANSFER_ACTIVITIES,
  KWALLET_TRANSFER_FINAL_STATUSES,
  KWALLET_TRANSFER_REVIEW_ACTIONS,
  KWALLET_TRANSFER_STATUSES,
  KWALLET_TRANSFER_WORKFLOW_TYPE,
} from './kwallet-transfer-definitions';
import {
  PAYOUT_ACTIVITIES,
  PAYOUT_FINAL_STATUSES,
  PAYOUT_REVIEW_ACTIONS,
  PAYOUT_STATUSES,
  PAYOUT_WORKFLOW_TYPE,
} from './payout-definitions';
import {
  PPOB_ACTIVITIES,
  PPOB_FINAL_STATUSES,
  PPOB_REVIEW_ACTIONS,
  PPOB_STATUSES,
  PPOB_WORKFLOW_TYPE,
} from './ppob-definitions';
import {
  PRAKERJA_ACTIVITIES,
  PRAKERJA_FINAL_STATUSES,
  PRAKERJA_REVIEW_ACTIONS,
  PRAKERJA_STATUSES,
  PRAKERJA_WORKFLOW_TYPE,
} from './prakerja-definitions';
import {
  TRANSFER_ACTIVITIES,
  TRANSFER_FINAL_STATUSES,
  TRANSFER_REVIEW_ACTIONS,
  TRANSFER_STATUSES,
  TRANSFER_WORKFLOW_TYPE,
} from './transfer-definitions';
import {
  UNMATCHED_FINAL_STATUSES,
  UNMATCHED_REPORT_WORKFLOW_TYPE,
  UNMATCHED_REVIEW_ACTIONS,
  UNMATCHED_STATUSES,
} from './unmatched-report';

export interface SagaEntry {
  workflowType: string;
  statuses: readonly string[];
  finalStatuses: readonly string[];
  reviewActions: readonly string[];
  /** Activity name -> options: everything the saga calls (see sagaActivities in saga-kernel.ts). */
  activities: Readonly<Record<string, unknown>>;
}

export const SAGAS = {
  prakerja: {
    workflowType: PRAKERJA_WORKFLOW_TYPE,
    statuses: PRAKERJA_STATUSES,
    finalStatuses: PRAKERJA_FINAL_STATUSES,
    reviewActions: PRAKERJA_REVIEW_ACTIONS,
    activities: PRAKERJA_ACTIVITIES,
  },
  klinkRefund: {
    workflowType: KLINK_REFUND_WORKFLOW_TYPE,
    statuses: KLINK_REFUND_STATUSES,
    finalStatuses: KLINK_REFUND_FINAL_STATUSES,
    reviewActions: KLINK_REFUND_REVIEW_ACTIONS,
    activities: KLINK_REFUND_ACTIVITIES,
  },
  ppob: {
    workflowType: PPOB_WORKFLOW_TYPE,
    statuses: PPOB_STATUSES,
    finalStatuses: PPOB_FINAL_STATUSES,
    reviewActions: PPOB_REVIEW_ACTIONS,
    activities: PPOB_ACTIVITIES,
  },
  transfer: {
    workflowType: TRANSFER_WORKFLOW_TYPE,
    statuses: TRANSFER_STATUSES,
    finalStatuses: TRANSFER_FINAL_STATUSES,
    reviewActions: TRANSFER_REVIEW_ACTIONS,
    activities: TRANSFER_ACTIVITIES,
  },
  payout: {
    workflowType: PAYOUT_WORKFLOW_TYPE,
    statuses: PAYOUT_STATUSES,
    finalStatuses: PAYOUT_FINAL_STATUSES,
    reviewActions: PAYOUT_REVIEW_ACTIONS,
    activities: PAYOUT_ACTIVITIES,
  },
  kwalletTransfer: {
    workflowType: KWALLET_TRANSFER_WORKFLOW_TYPE,
    statuses: KWALLET_TRANSFER_STATUSES,
    finalStatuses: KWALLET_TRANSFER_FINAL_STATUSES,
    reviewActions: KWALLET_TRANSFER_REVIEW_ACTIONS,
    activities: KWALLET_TRANSFER_ACTIVITIES,
  },
  unmatched: {
    workflowType: UNMATCHED_REPORT_WORKFLOW_TYPE,
    statuses: UNMATCHED_STATUSES,
    finalStatuses: UNMATCHED_FINAL_STATUSES,
    reviewActions: UNMATCHED_REVIEW_ACTIONS,
    // It only keeps reports for a person: it calls no activity.
    activities: {},
  },
} as const satisfies Record<string, SagaEntry>;

export type SagaName = keyof typeof SAGAS;
export const SAGA_NAMES = Object.keys(SAGAS) as SagaName[];

const unique = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())].sort();

/** Every status any saga can reach: what `paysaga list --status` and REST accept. */
export const ALL_STATUSES = unique(SAGA_NAMES.map((s) => SAGAS[s].statuses));
/** Every review action of any saga: the review Update's validator says which one a payment offers. */
export const ALL_REVIEW_ACTIONS = unique(SAGA_NAMES.map((s) => SAGAS[s].reviewActions));
