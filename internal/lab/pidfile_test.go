package lab

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestPIDFile(t *testing.T) {
	// A process that has exited: its pid marks a stale file.
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string // "" for no file
		wantPID int
		wantErr bool
		// kept says whether the file is still there after ReadPID.
		kept bool
	}{
		{name: "no file", wantPID: 0},
		{name: "running", content: strconv.Itoa(os.Getpid()) + "\n", wantPID: os.Getpid(), kept: true},
		{name: "stale", content: strconv.Itoa(exited.Process.Pid) + "\n", wantPID: 0},
		{name: "corrupt", content: "not a pid\n", wantErr: true, kept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != "" {
				if err := os.WriteFile(PIDPath(dir), []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pid, err := ReadPID(dir)
			if (err != nil) != tt.wantErr || pid != tt.wantPID {
				t.Fatalf("ReadPID = %d, %v; want %d (error %v)", pid, err, tt.wantPID, tt.wantErr)
			}
			if _, err := os.Stat(PIDPath(dir)); (err == nil) != tt.kept {
				t.Errorf("pid file kept: %v, want %v", err == nil, tt.kept)
			}
			err = CheckNotRunning(dir)
			var running *RunningError
			if got := errors.As(err, &running); got != (tt.wantPID != 0) {
				t.Errorf("CheckNotRunning = %v; want a *RunningError: %v", err, tt.wantPID != 0)
			}
		})
	}
}

func TestWritePIDMarksThisProcess(t *testing.T) {
	dir := t.TempDir()
	if err := WritePID(dir); err != nil {
		t.Fatal(err)
	}
	if pid, err := ReadPID(dir); err != nil || pid != os.Getpid() {
		t.Fatalf("ReadPID after WritePID = %d, %v; want %d", pid, err, os.Getpid())
	}
	RemovePID(dir)
	if err := CheckNotRunning(dir); err != nil {
		t.Fatalf("CheckNotRunning after RemovePID = %v", err)
	}
}
