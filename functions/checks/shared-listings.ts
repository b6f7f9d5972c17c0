import type { V1Pod } from '@kubernetes/client-node';
import type { KubernetesPort } from '../../core/kubernetes.ts';

/**
 * One report reads the pods of the namespace in five sections; this lists the namespace once and
 * hands every section the same pages (filtered by its selector), so 2,000 pods are fetched and
 * parsed once, not five times at once. It lives for one report only: the next lists afresh.
 */
export function withSharedPodListings(kube: KubernetesPort): KubernetesPort {
  const listings = new Map<string, Promise<V1Pod[][]>>();
  const shared: KubernetesPort = Object.create(kube) as KubernetesPort;
  shared.pods = async function* pods(namespace: string, labelSelector?: string) {
    // Equality selectors (all configuration allows) are applied here to the namespace's one listing.
    const match = labelSelector ? equalityMatcher(labelSelector) : () => true;
    let listing = listings.get(namespace);
    if (!listing) {
      listing = (async () => {
        const pages: V1Pod[][] = [];
        for await (const page of kube.pods(namespace)) pages.push(page);
        return pages;
      })();
      listings.set(namespace, listing);
      // A failed listing is not kept: a section that retries gets a fresh one.
      listing.catch(() => listings.delete(namespace));
    }
    for (const page of await listing) yield page.filter((pod) => match(pod.metadata?.labels ?? {}));
  };
  return shared;
}

/** `app=mcp-semantic,tier!=canary` as a predicate over labels (=, ==, != only). */
export function equalityMatcher(selector: string): (labels: Record<string, string>) => boolean {
  const terms = selector.split(',').map((term) => {
    const m = term.trim().match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new Error(`unsupported label selector term "${term}" (expected key=value or key!=value)`);
    return { key: m[1]!.trim(), equal: m[2] !== '!=', value: m[3]!.trim() };
  });
  return (labels) => terms.every((t) => (labels[t.key] === t.value) === t.equal);
}
