// Package testkit holds the helpers any test of the shop may use: waiting
// for a condition (WaitFor), reading a metric from a registry or a
// service's /metrics (MetricValue), a real OTLP/gRPC trace receiver, a
// client for the shop's API, a fake SMTP server that can misbehave
// (StartSMTP), a buffer safe for concurrent writers, the lab's test
// environment (LabEnv), and RequireTool for outside programs.
//
// It imports none of the services, so every package's tests can use it,
// internal/lab's included. Running the whole shop for a test is
// internal/labharness's job.
package testkit
