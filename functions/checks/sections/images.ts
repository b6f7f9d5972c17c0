import type { SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import type { ChecksDeps } from '../checks-deps.ts';

/** Evening item 5: image versions of every pod in the namespace, flagging drift (one container, several images). */
export async function imageVersionsSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { namespace } = deps.config.cluster;
  /** owner (ReplicaSet/Job/…) + container → image → pods. */
  const byContainer = new Map<string, Map<string, number>>();
  let pods = 0;
  for await (const page of deps.kube.pods(namespace)) {
    for (const pod of page) {
      pods += 1;
      const app = pod.metadata?.labels?.app ?? pod.metadata?.name ?? '?';
      for (const c of pod.spec?.containers ?? []) {
        const key = `${app}/${c.name}`;
        const images = byContainer.get(key) ?? new Map<string, number>();
        images.set(c.image ?? '?', (images.get(c.image ?? '?') ?? 0) + 1);
        byContainer.set(key, images);
      }
    }
  }
  const rows = [...byContainer.entries()].flatMap(([container, images]) =>
    [...images.entries()].map(([image, count]) => [
      container,
      image,
      String(count),
      images.size > 1 ? 'DRIFT' : '',
    ]),
  );
  const drift = [...byContainer.entries()].filter(([, images]) => images.size > 1);
  return {
    summary:
      drift.length === 0
        ? `${pods} pods, ${byContainer.size} container(s), one image each`
        : `${drift.length} container(s) run more than one image`,
    findings: [
      ...(pods === 0 ? [{ status: 'WARNING' as const, text: `not measured: no pods in ${namespace}` }] : []),
      ...drift.map(([container, images]) => ({
        status: 'WARNING' as const,
        text: `${container} runs ${images.size} images: ${[...images.entries()].map(([i, n]) => `${i} (${n})`).join(', ')}`,
      })),
    ],
    lines: table(['APP/CONTAINER', 'IMAGE', 'PODS', ''], rows),
    data: {
      pods,
      containers: Object.fromEntries([...byContainer.entries()].map(([k, v]) => [k, Object.fromEntries(v)])),
    },
  };
}
