package lesson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shoplab/shoplab/internal/atomicfile"
)

// progressFile is the progress file's name in the data directory.
const progressFile = "lesson.json"

// ProgressPath is where the lesson's progress is kept in dataDir.
func ProgressPath(dataDir string) string { return filepath.Join(dataDir, progressFile) }

// Outcomes of a finished lesson.
const (
	OutcomeSolved  = "solved"
	OutcomeStopped = "stopped"
	// OutcomeTrafficLost: the traffic process died (a crashed or killed
	// shoplab), so the lesson was ended and its incidents cleared.
	OutcomeTrafficLost = "traffic-lost"
	// OutcomeStartFailed: the start failed and was undone.
	OutcomeStartFailed = "start-failed"
)

// Progress is the state of the current (or last) lesson, the content of
// lesson.json. It holds the hidden choice: what a learner sees goes
// through Status, which leaves it out.
type Progress struct {
	Lesson    string `json:"lesson"`
	Seed      uint64 `json:"seed"`
	Mode      Mode   `json:"mode"`
	Choice    Choice `json:"choice"`
	HintsUsed int    `json:"hints_used"`
	Attempts  int    `json:"attempts"`
	// Traffic says a traffic process was wanted; TrafficPID is its pid
	// once it runs. Wanted but not running means a start that crashed.
	Traffic    bool      `json:"traffic"`
	TrafficPID int       `json:"traffic_pid,omitempty"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished,omitzero"`
	Outcome    string    `json:"outcome,omitempty"`
}

// Active reports whether the lesson is on: started and not finished.
func (p *Progress) Active() bool { return p != nil && !p.Started.IsZero() && p.Finished.IsZero() }

// LoadProgress reads dataDir's progress file; none is (nil, nil).
func LoadProgress(dataDir string) (*Progress, error) {
	b, err := os.ReadFile(ProgressPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	var p Progress
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("lesson progress %s is corrupt (%w): delete it, after clearing the incidents with shoplab down && shoplab up", ProgressPath(dataDir), err)
	}
	return &p, nil
}

// SaveProgress writes p to dataDir's progress file, mode 0600 (it holds
// the answer), replacing it whole so that a reader never sees half.
func SaveProgress(dataDir string, p *Progress) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("lesson progress: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("lesson progress: %w", err)
	}
	if err := atomicfile.WriteFile(ProgressPath(dataDir), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("lesson progress: %w", err)
	}
	return nil
}
