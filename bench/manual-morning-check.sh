#!/bin/bash
# The manual's daily-morning-check.sh, its kubectl and curl parts verbatim, pointed at the local
# stack: KUBECONFIG is the read-only identity, PROMETHEUS the local Prometheus (the manual's
# prometheus-mcp.mcp-system.svc.cluster.local:9090 is not reachable from here).
echo "=== MCP Level 3 Morning Health Check ==="
echo "Date: $(date)"
echo ""
echo "1. Checking pod status..."
kubectl get pods -n mcp-system -l app=mcp-semantic
echo ""
echo "2. Checking recent errors (last hour)..."
kubectl logs -n mcp-system -l app=mcp-semantic --since=1h | grep -i error | tail -20
echo ""
echo "3. Checking key metrics..."
kubectl exec -n mcp-system $(kubectl get pod -n mcp-system -l app=mcp-semantic -o jsonpath='{.items[0].metadata.name}') -- \
  curl -s http://localhost:9090/metrics | grep -E "(validation_total|promotion_total|artifact_uploads_total)"
echo ""
echo "4. Checking last backup..."
kubectl get jobs -n mcp-system -l app=mcp-backup --sort-by=.status.startTime | tail -1
echo ""
echo "5. Checking resource usage..."
kubectl top pods -n mcp-system -l app=mcp-semantic
echo ""
echo "6. Checking active alerts..."
if command -v jq >/dev/null; then
  curl -s "$PROMETHEUS/api/v1/alerts" | \
    jq '.data.alerts[] | select(.state=="firing") | {alert: .labels.alertname, severity: .labels.severity}'
else
  curl -s "$PROMETHEUS/api/v1/alerts"
fi
echo ""
echo "=== Health Check Complete ==="
