// Package compose drives the lab's containerized infrastructure through
// the Docker Compose v2 CLI (`docker compose`). It only runs the docker
// command: the stack itself is docker-compose.yml.
package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/shoplab/shoplab/internal/stack"
)

// Project is the compose project name (docker-compose.yml's name:).
const Project = stack.ProjectName

// ErrNoDocker means the docker CLI is not installed.
var ErrNoDocker = errors.New("docker is not installed")

// Compose runs `docker compose` for the lab's project.
type Compose struct {
	// Docker is the docker executable's path.
	Docker string
	// File is docker-compose.yml's path.
	File string
	// Stderr receives compose's own progress output.
	Stderr io.Writer
}

// New finds docker on PATH and checks that the engine answers and that
// Compose v2 is installed, with a message that says what to do otherwise.
func New(ctx context.Context, file string, stderr io.Writer) (*Compose, error) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("%w: install Docker Engine or Docker Desktop (https://docs.docker.com/get-docker/), or run without it: shoplab up --local", ErrNoDocker)
	}
	c := &Compose{Docker: docker, File: file, Stderr: stderr}
	out, err := c.output(ctx, "compose", "version", "--short")
	if err != nil {
		return nil, fmt.Errorf("docker compose (v2) is not available (%s): install the Compose v2 plugin (https://docs.docker.com/compose/install/); the old docker-compose v1 is end of life; or run without Docker: shoplab up --local", firstLine(err))
	}
	if v := strings.TrimPrefix(strings.TrimSpace(out), "v"); !strings.HasPrefix(v, "2.") && !strings.HasPrefix(v, "3.") {
		return nil, fmt.Errorf("docker compose %s is too old: ShopLab needs Compose v2 or newer; or run without Docker: shoplab up --local", strings.TrimSpace(out))
	}
	if _, err := c.output(ctx, "info", "--format", "{{.ServerVersion}}"); err != nil {
		return nil, fmt.Errorf("the Docker engine is not running (%s): start Docker, or run without it: shoplab up --local", firstLine(err))
	}
	return c, nil
}

// Up creates and starts every container of the default profile, in the
// background.
func (c *Compose) Up(ctx context.Context) error {
	return c.run(ctx, c.Stderr, c.args("up", "--detach", "--remove-orphans")...)
}

// Down stops and removes the containers; with volumes, their data too.
func (c *Compose) Down(ctx context.Context, volumes bool) error {
	args := c.args("down", "--remove-orphans")
	if volumes {
		args = append(args, "--volumes")
	}
	return c.run(ctx, c.Stderr, args...)
}

// Stop stops the named services' containers, keeping them (a lesson
// breaks a pipeline hop this way and Start mends it).
func (c *Compose) Stop(ctx context.Context, services ...string) error {
	return c.run(ctx, c.Stderr, c.args(append([]string{"stop"}, services...)...)...)
}

// Start starts the named services' stopped containers again.
func (c *Compose) Start(ctx context.Context, services ...string) error {
	return c.run(ctx, c.Stderr, c.args(append([]string{"start"}, services...)...)...)
}

// Container is one container of the project, as `docker compose ps`
// reports it.
type Container struct {
	Name    string `json:"Name"`
	Service string `json:"Service"`
	// State is created, running, restarting, exited, ...
	State string `json:"State"`
	// Health is healthy, unhealthy, starting, or empty without a
	// healthcheck.
	Health   string `json:"Health"`
	ExitCode int    `json:"ExitCode"`
}

// Ready reports whether the container is running and, if it has a
// healthcheck, healthy.
func (c Container) Ready() bool {
	return c.State == "running" && (c.Health == "" || c.Health == "healthy")
}

// Failed reports whether the container can no longer become ready.
func (c Container) Failed() bool {
	return c.Health == "unhealthy" || c.State == "exited" || c.State == "dead"
}

// Status is a one-word summary: the health when there is one, else the
// state.
func (c Container) Status() string {
	if c.Health != "" {
		return c.Health
	}
	return c.State
}

// PS lists the project's containers, stopped ones included.
func (c *Compose) PS(ctx context.Context) ([]Container, error) {
	out, err := c.output(ctx, c.args("ps", "--all", "--format", "json")...)
	if err != nil {
		return nil, fmt.Errorf("docker compose ps: %s", firstLine(err))
	}
	return ParsePS([]byte(out))
}

// ParsePS reads `docker compose ps --format json`, which newer Compose
// versions print as one JSON object per line and older ones as an array.
func ParsePS(out []byte) ([]Container, error) {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return nil, nil
	}
	var cs []Container
	if out[0] == '[' {
		if err := json.Unmarshal(out, &cs); err != nil {
			return nil, fmt.Errorf("parse docker compose ps: %w", err)
		}
		return cs, nil
	}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var c Container
		if err := json.Unmarshal(line, &c); err != nil {
			return nil, fmt.Errorf("parse docker compose ps: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func (c *Compose) args(sub ...string) []string {
	return append([]string{"compose", "--project-name", Project, "--file", c.File}, sub...)
}

func (c *Compose) run(ctx context.Context, stderr io.Writer, args ...string) error {
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, c.Docker, args...)
	cmd.Stdout = stderr
	cmd.Stderr = io.MultiWriter(stderr, &buf)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, lastLine(buf.String()))
	}
	return nil
}

func (c *Compose) output(ctx context.Context, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, c.Docker, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	return out.String(), nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
