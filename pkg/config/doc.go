// Package config loads each function's settings from the environment, the way Lambda passes them. Every variable
// has a documented default (README lists them all); loading collects every problem with errors.Join, so a
// misconfigured deployment reports all of its mistakes at once, from main, before the first invocation. The
// catalog backends read their own variables; package app puts the pieces together.
package config
