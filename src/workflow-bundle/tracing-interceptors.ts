import { trace } from '@opentelemetry/api';
import { type WorkflowInterceptorsFactory, workflowInfo } from '@temporalio/workflow';
import { runAndPageOf } from '../workflows/ids';

/**
 * Bundled after Temporal's OpenTelemetry workflow interceptors (traced bundle only): names the
 * wdsync run and page on the workflow's span, which is active while the workflow runs. Ids only.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const { runId, page } = runAndPageOf(workflowInfo().workflowId);
        trace.getActiveSpan()?.setAttributes({
          'wdsync.run_id': runId,
          ...(page !== undefined ? { 'wdsync.page': page } : {}),
        });
        return next(input);
      },
    },
  ],
});
