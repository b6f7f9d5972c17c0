//go:build tools

// Package tools pins the kube-state-metrics the local stack builds; it is never compiled into anything.
package tools

import (
	_ "k8s.io/kube-state-metrics/v2"
)
