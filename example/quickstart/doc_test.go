// Package mynet_test is the README's quick start, as it is embedded there:
// a Ginkgo suite and a plain go test, run by make test like every suite.
package mynet_test
