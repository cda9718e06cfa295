// Wrapper module for the Kubernetes binaries. e2e/build.sh copies it into the cache, then adds the
// k8s.io/kubernetes requirement and the staging replaces generated from Kubernetes' own go.mod.
module mull.dev/e2e/kube

go 1.26

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
)
