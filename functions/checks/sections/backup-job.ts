import type { V1Job } from '@kubernetes/client-node';
import type { Finding, SectionOutcome } from '../report-model.ts';
import { age, type ChecksDeps } from '../checks-deps.ts';

function outcome(job: V1Job): 'succeeded' | 'failed' | 'running' {
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'succeeded';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  return 'running';
}

const startOf = (job: V1Job) =>
  new Date(job.status?.startTime ?? job.metadata?.creationTimestamp ?? 0).getTime();

/** Morning item 4: the newest backup Job by start time: succeeded or failed, when, how long. */
export async function backupJobSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { namespace, backupJobSelector } = deps.config.cluster;
  const now = deps.now();
  const jobs = (await deps.kube.jobs(namespace, backupJobSelector)).sort((a, b) => startOf(a) - startOf(b));
  const last = jobs.at(-1);
  if (!last) {
    return {
      summary: `no backup Job (${backupJobSelector}) in ${namespace}`,
      findings: [{ status: 'WARNING', text: `no backup Job matches ${backupJobSelector}` }],
      lines: [],
      figures: [{ id: 'backup_age', label: 'backup age', value: null, unit: 'hours' }],
      data: { last: null },
    };
  }
  const state = outcome(last);
  const started = last.status?.startTime ? new Date(last.status.startTime) : undefined;
  const finished =
    last.status?.completionTime ??
    (state === 'failed'
      ? last.status?.conditions?.find((c) => c.type === 'Failed')?.lastTransitionTime
      : undefined);
  const minutes =
    started && finished ? (new Date(finished).getTime() - started.getTime()) / 60_000 : undefined;
  const lastSuccess = [...jobs].reverse().find((j) => outcome(j) === 'succeeded');
  const maxAgeHours = deps.config.backup.maxAgeHours;
  const findings: Finding[] = [];
  if (state === 'failed') {
    const reason = last.status?.conditions?.find((c) => c.type === 'Failed');
    findings.push({
      status: 'CRITICAL',
      text: `last backup Job ${last.metadata?.name} failed${reason?.reason ? ` (${reason.reason})` : ''}`,
    });
  }
  const successAt = lastSuccess ? startOf(lastSuccess) : undefined;
  if (successAt === undefined || now.getTime() - successAt > maxAgeHours * 3_600_000)
    findings.push({
      status: 'WARNING',
      text:
        successAt === undefined
          ? 'no backup Job has succeeded'
          : `last successful backup Job started ${age(new Date(successAt), now)} ago (more than ${maxAgeHours} h)`,
    });
  const line = `${last.metadata?.name}: ${state}, started ${started?.toISOString() ?? '?'} (${age(started, now)} ago)${minutes !== undefined ? `, took ${minutes.toFixed(1)} min` : ''}`;
  return {
    summary: line,
    figures: [
      {
        id: 'backup_age',
        label: 'backup age',
        value: successAt === undefined ? null : (now.getTime() - successAt) / 3_600_000,
        unit: 'hours',
      },
    ],
    findings,
    lines: jobs
      .slice(-5)
      .reverse()
      .map(
        (j) =>
          `${j.metadata?.name}  ${outcome(j).padEnd(9)}  started ${j.status?.startTime ? new Date(j.status.startTime).toISOString() : '?'}`,
      ),
    data: {
      last: {
        name: last.metadata?.name,
        state,
        startedAt: started?.toISOString() ?? null,
        finishedAt: finished ? new Date(finished).toISOString() : null,
        minutes: minutes ?? null,
      },
      lastSuccessAt: successAt === undefined ? null : new Date(successAt).toISOString(),
    },
  };
}
