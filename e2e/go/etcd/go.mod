// Wrapper module for etcd. e2e/build.sh copies it into the cache and adds the etcd requirement.
module mull.dev/e2e/etcd

go 1.26
