// Creates many objects fast, for seeding the scale scenario: plain JSON over keep-alive HTTPS
// (raw-https.ts), `concurrency` requests in flight. The client library spends most of a create in
// its (de)serializer: 20,000 events took about 58 s through it, about 15 s here.
import type { KubeConfig } from '@kubernetes/client-node';
import { mapBounded } from '../../core/bounded.ts';
import { rawKube } from './raw-https.ts';

export async function bulkCreate(
  kc: KubeConfig,
  items: ReadonlyArray<{ path: string; body: unknown }>,
  concurrency = 64,
): Promise<void> {
  const kube = await rawKube(kc, concurrency);
  try {
    await mapBounded(items, concurrency, (item) => kube.request('POST', item.path, item.body));
  } finally {
    kube.close();
  }
}
