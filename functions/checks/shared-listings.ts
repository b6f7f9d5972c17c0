import type { V1Pod } from '@kubernetes/client-node';
import type { KubernetesPort } from '../../core/kubernetes.ts';

/**
 * One report reads the pods of the namespace in five sections; this lists each (namespace, selector)
 * once and hands every section the same pages, so 2,000 pods are fetched and parsed once, not five
 * times at once. It lives for one report only: the next report lists afresh.
 */
export function withSharedPodListings(kube: KubernetesPort): KubernetesPort {
  const listings = new Map<string, Promise<V1Pod[][]>>();
  const shared: KubernetesPort = Object.create(kube) as KubernetesPort;
  shared.pods = async function* pods(namespace: string, labelSelector?: string) {
    const key = `${namespace}\u0000${labelSelector ?? ''}`;
    let listing = listings.get(key);
    if (!listing) {
      listing = (async () => {
        const pages: V1Pod[][] = [];
        for await (const page of kube.pods(namespace, labelSelector)) pages.push(page);
        return pages;
      })();
      listings.set(key, listing);
      // A failed listing is not kept: a section that retries gets a fresh one.
      listing.catch(() => listings.delete(key));
    }
    for (const page of await listing) yield page;
  };
  return shared;
}
