//go:build !unix

package main

const nofileVar = "PBSERVER_TEST_NOFILE"

func setNofile(string) { panic("no RLIMIT_NOFILE here") }
