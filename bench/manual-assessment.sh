#!/bin/bash
# The manual's "Quick assessment script" (Incident Response Playbook, step 1), verbatim but for the
# Prometheus address: KUBECONFIG is the read-only identity, PROMETHEUS the local Prometheus (the
# manual's prometheus-mcp.mcp-system.svc.cluster.local:9090 is not reachable from here).

echo "=== Incident Assessment ==="

# Check pod status
echo "Pod Status:"
kubectl get pods -n mcp-system -l app=mcp-semantic

# Check recent logs
echo -e "\nRecent Errors:"
kubectl logs -n mcp-system -l app=mcp-semantic --tail=50 | grep -i error

# Check metrics
echo -e "\nKey Metrics:"
kubectl exec -n mcp-system $(kubectl get pod -n mcp-system -l app=mcp-semantic -o jsonpath='{.items[0].metadata.name}') -- \
  curl -s http://localhost:9090/metrics | grep -E "(up|validation_total|promotion_total)"

# Check active alerts
echo -e "\nActive Alerts:"
if command -v jq >/dev/null; then
  curl -s "$PROMETHEUS/api/v1/alerts" | \
    jq '.data.alerts[] | select(.state=="firing")'
else
  curl -s "$PROMETHEUS/api/v1/alerts"
fi
