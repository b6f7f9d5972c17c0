//go:build tools

// Package tools pins the commands the local stack builds; it is never compiled into anything.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
