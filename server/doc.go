// Package server assembles Meridian's services into running processes.
// RunDev runs every service of one region in a single process on the
// embedded store (`meridian server start-dev`); DevConfig is its validated
// configuration, shared with the command line in tools/cli.
package server
