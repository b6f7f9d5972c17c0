/**
 * The playbook's step 3, "Mitigate (15 minutes)", as data: each action with the exact target it
 * was offered for. The diagnosis offers them, a signed link carries one, the mitigation function
 * re-checks the target and acts. A target names what it expects to find (the revision now, the
 * pod's uid, the replicas now, the image now), so a link can never act on a world that moved on.
 */
export type MitigationTarget =
  /** `kubectl rollout undo --to-revision=N`, only while the deployment is still at `fromRevision`. */
  | { readonly action: 'undo'; readonly fromRevision: number; readonly toRevision: number }
  /** `kubectl delete pod POD`: the controller makes a fresh one; `uid` pins the pod offered. */
  | { readonly action: 'restart'; readonly pod: string; readonly uid: string }
  /** `kubectl scale --replicas=N`, up only, from `fromReplicas`. */
  | { readonly action: 'scale'; readonly fromReplicas: number; readonly replicas: number }
  /** `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data` (cordon, then evict). */
  | { readonly action: 'drain'; readonly node: string }
  /** The emergency `kubectl set image` to the configured known-good image, from `fromImage`. */
  | { readonly action: 'image'; readonly fromImage: string; readonly image: string }
  /** Runbook 3 (OOM): the container's memory limit from `from` to `to`. */
  | { readonly action: 'memory'; readonly from: string; readonly to: string }
  /** Maintenance mode (the Ingress's 503 annotation) off, when it is still on after a window. */
  | { readonly action: 'maintenance-off'; readonly ingress: string }
  /** Security Incident Response: label the pods `quarantine=true` and put the manual's `deny-all` in place. */
  | { readonly action: 'quarantine'; readonly pods: readonly string[] }
  /** The quarantine's undo: the label off those pods, and `deny-all` deleted once no pod carries it. */
  | { readonly action: 'release'; readonly pods: readonly string[] };

export type MitigationAction = MitigationTarget['action'];

export const MITIGATION_ACTIONS: readonly MitigationAction[] = [
  'undo',
  'restart',
  'scale',
  'drain',
  'image',
  'memory',
  'maintenance-off',
  'quarantine',
  'release',
];

/** Containment is never held back by the maintenance window or the hourly cap. */
export const CONTAINMENT: readonly MitigationAction[] = ['quarantine', 'release'];

/** One action the evidence supports, with the evidence in a sentence. */
export interface MitigationOffer {
  readonly target: MitigationTarget;
  readonly why: string;
}

/** What the action will do, in the words of the page's heading. */
export function describeTarget(t: MitigationTarget, deployment: string): string {
  switch (t.action) {
    case 'undo':
      return `Roll ${deployment} back from revision ${t.fromRevision} to revision ${t.toRevision}`;
    case 'restart':
      return `Restart pod ${t.pod} (delete it; its ReplicaSet starts a new one)`;
    case 'scale':
      return `Scale ${deployment} from ${t.fromReplicas} to ${t.replicas} replicas`;
    case 'drain':
      return `Drain node ${t.node} (cordon it, evict its pods but DaemonSets')`;
    case 'image':
      return `Set ${deployment}'s image from ${t.fromImage} to the known-good ${t.image}`;
    case 'memory':
      return `Raise ${deployment}'s memory limit from ${t.from} to ${t.to}`;
    case 'maintenance-off':
      return `Switch maintenance mode off (remove the 503 annotation of Ingress ${t.ingress})`;
    case 'quarantine':
      return `Quarantine ${t.pods.join(', ')} (label quarantine=true, deny-all NetworkPolicy: no traffic in or out)`;
    case 'release':
      return `Release ${t.pods.join(', ')} from quarantine (remove the label; deny-all goes when no pod is quarantined)`;
  }
}

/** The manual's command for the same change, for a responder at a terminal. */
export function kubectlFor(t: MitigationTarget, deployment: string, namespace: string): string {
  switch (t.action) {
    case 'undo':
      return `kubectl rollout undo deployment ${deployment} -n ${namespace} --to-revision=${t.toRevision}`;
    case 'restart':
      return `kubectl delete pod -n ${namespace} ${t.pod}`;
    case 'scale':
      return `kubectl scale deployment ${deployment} -n ${namespace} --replicas=${t.replicas}`;
    case 'drain':
      return `kubectl drain ${t.node} --ignore-daemonsets --delete-emptydir-data`;
    case 'image':
      return `kubectl set image deployment/${deployment} semantic-control-plane=${t.image} -n ${namespace}`;
    case 'memory':
      return `kubectl set resources deployment ${deployment} -n ${namespace} --limits=memory=${t.to}`;
    case 'maintenance-off':
      return `kubectl annotate ingress ${t.ingress} -n ${namespace} nginx.ingress.kubernetes.io/custom-http-errors-`;
    case 'quarantine':
      return `kubectl label pod ${t.pods.join(' ')} quarantine=true -n ${namespace} && kubectl apply -f deny-all.yaml`;
    case 'release':
      return `kubectl label pod ${t.pods.join(' ')} quarantine- -n ${namespace} && kubectl delete networkpolicy deny-all -n ${namespace}`;
  }
}

/**
 * A mitigation's key on its incident: the action and its exact target. The same link clicked
 * twice, replayed, or offered again in a later message has the same key, so it acts once.
 */
export function mitigationKey(t: MitigationTarget): string {
  switch (t.action) {
    case 'undo':
      return `undo:${t.fromRevision}-${t.toRevision}`;
    case 'restart':
      return `restart:${t.uid}`;
    case 'scale':
      return `scale:${t.fromReplicas}-${t.replicas}`;
    case 'drain':
      return `drain:${t.node}`;
    case 'image':
      return `image:${t.image}`;
    case 'memory':
      return `memory:${t.from}-${t.to}`;
    case 'maintenance-off':
      return `maintenance-off:${t.ingress}`;
    case 'quarantine':
      return `quarantine:${[...t.pods].sort().join(',')}`;
    case 'release':
      return `release:${[...t.pods].sort().join(',')}`;
  }
}
