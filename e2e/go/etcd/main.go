// Command etcd is upstream etcd's server main, built from its Go module: there is no prebuilt
// binary to download here, and the etcd repository's own main module is not installable.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
