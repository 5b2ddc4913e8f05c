/** Hands a provider report no running saga can take to its unmatched-report workflow (signal-with-start). */
import type { PaysagaClient } from '../client/paysaga-client';
import {
  UNMATCHED_REPORT_WORKFLOW_TYPE,
  unmatchedReportSignal,
  unmatchedReportWorkflowId,
  type UnmatchedReport,
} from '../workflows/unmatched-report';

export async function deliverUnmatched(client: PaysagaClient, report: UnmatchedReport): Promise<string> {
  const handle = await client.temporal.workflow.signalWithStart(UNMATCHED_REPORT_WORKFLOW_TYPE, {
    workflowId: unmatchedReportWorkflowId(report.provider, report.key),
    taskQueue: client.taskQueue,
    args: [{ provider: report.provider, key: report.key, relatedWorkflowId: report.relatedWorkflowId }],
    signal: unmatchedReportSignal,
    signalArgs: [report],
  });
  return handle.workflowId;
}
